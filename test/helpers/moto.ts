// Python's moto server (a real AWS-compatible endpoint for S3 and the CloudFront API) on a free
// loopback port, for the AWS command tests, and the SDK clients pointed at it the way users do
// (AWS_ENDPOINT_URL). scripts/test.sh installs moto when missing.
//
// moto 5.2 has two known gaps: it drops an origin's OriginAccessControlId (it never returns it) and
// has no response headers policy API. `withMotoGapsFilled` adds a middleware to a CloudFront
// client that records the OAC ids setup sends and puts them back into the configs moto returns,
// and answers the response headers policy calls from what was sent, recording every request. The
// tests assert on those recorded requests; everything else is moto's own answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { CloudFrontClient, DistributionConfig, ResponseHeadersPolicyConfig } from '@aws-sdk/client-cloudfront';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';

export interface Moto {
  endpoint: string;
  /** The variables a user sets to point the SDK at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited (${child.exitCode}): ${stderr} (install it: pip install 'moto[server]')`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not answer on ${endpoint} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'eu-west-1' },
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null) return resolveStop();
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}

/** Requests a test saw, by command name (e.g. `CreateDistributionWithTagsCommand`). */
export type Recorded = { command: string; input: unknown }[];

/**
 * Points this process's SDK at moto (the SDK reads AWS_ENDPOINT_URL and the credentials lazily, at
 * the first request): call once per test file (vitest runs each file in its own process).
 */
export function useMotoEnv(moto: Moto): void {
  Object.assign(process.env, moto.env);
}

/** AWS clients for moto, as the commands make them, with the gaps filled and requests recorded. */
export function motoClients(moto: Moto, region: string, recorded: Recorded): AwsClients {
  const c = createAwsClients(region, moto.env);
  withMotoGapsFilled(c.cloudfront, recorded);
  return c;
}

/** Shared by every client of one test file: what setup sent, keyed as moto would need it. */
const oacByDistribution = new Map<string, Map<string, string>>();
const policies = new Map<string, { config: ResponseHeadersPolicyConfig; etag: string }>();

function originsOac(config: DistributionConfig | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const o of config?.Origins?.Items ?? []) if (o.Id && o.OriginAccessControlId) m.set(o.Id, o.OriginAccessControlId);
  return m;
}

function fillOac(id: string | undefined, config: DistributionConfig | undefined): void {
  const known = id ? oacByDistribution.get(id) : undefined;
  if (!known || !config) return;
  for (const o of config.Origins?.Items ?? []) if (o.Id && known.has(o.Id)) o.OriginAccessControlId = known.get(o.Id);
}

export function withMotoGapsFilled(cf: CloudFrontClient, recorded: Recorded): void {
  cf.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const input = args.input as Record<string, unknown>;
      recorded.push({ command, input: structuredClone(input) });
      // The response headers policy API moto lacks: answered from what was sent.
      if (command === 'ListResponseHeadersPoliciesCommand') {
        const items = [...policies.entries()].map(([Id, p]) => ({ Type: 'custom', ResponseHeadersPolicy: { Id, LastModifiedTime: new Date(), ResponseHeadersPolicyConfig: p.config } }));
        return { output: { $metadata: {}, ResponseHeadersPolicyList: { Quantity: items.length, MaxItems: 100, Items: items } }, response: {} } as never;
      }
      if (command === 'GetResponseHeadersPolicyConfigCommand') {
        const p = policies.get(String(input.Id));
        return { output: { $metadata: {}, ETag: p?.etag, ResponseHeadersPolicyConfig: p?.config }, response: {} };
      }
      if (command === 'CreateResponseHeadersPolicyCommand' || command === 'UpdateResponseHeadersPolicyCommand') {
        const Id = command === 'CreateResponseHeadersPolicyCommand' ? `RHP${policies.size + 1}` : String(input.Id);
        const config = input.ResponseHeadersPolicyConfig as ResponseHeadersPolicyConfig;
        policies.set(Id, { config, etag: `E${Date.now()}` });
        return { output: { $metadata: {}, ResponseHeadersPolicy: { Id, LastModifiedTime: new Date(), ResponseHeadersPolicyConfig: config } }, response: {} };
      }
      const result = await next(args);
      const output = result.output as unknown as Record<string, unknown>;
      if (command === 'CreateDistributionWithTagsCommand') {
        const sent = (input.DistributionConfigWithTags as { DistributionConfig?: DistributionConfig }).DistributionConfig;
        const id = (output.Distribution as { Id?: string } | undefined)?.Id;
        if (id) oacByDistribution.set(id, originsOac(sent));
      }
      if (command === 'UpdateDistributionCommand') oacByDistribution.set(String(input.Id), originsOac(input.DistributionConfig as DistributionConfig));
      if (command === 'GetDistributionConfigCommand') fillOac(String(input.Id), output.DistributionConfig as DistributionConfig);
      return result;
    },
    { step: 'initialize', name: 'motoGaps' },
  );
}
