// `aws setup`, `import` and `doctor` against moto on loopback (a real AWS-compatible endpoint, the
// SDK pointed at it with AWS_ENDPOINT_URL): setup twice (the second changes nothing), dry-run,
// an existing bucket policy kept, the requests setup sends where moto drops what it gets (OAC,
// response headers policies), then doctor passing on what setup made and naming each fault.
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateKeyGroupCommand,
  CreatePublicKeyCommand,
  GetDistributionConfigCommand,
  GetPublicKeyCommand,
  ListDistributionsCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { CreateBucketCommand, DeleteBucketPolicyCommand, DeleteObjectCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, HeadBucketCommand, HeadObjectCommand, PutBucketPolicyCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFolder, uploadFolder } from '../../src/aws/upload.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AwsClients } from '../../src/aws/clients.js';
import { createAwsCommand } from '../../src/cli/aws.js';
import type { CliIO } from '../../src/cli/command.js';
import { createDoctorCommand } from '../../src/cli/doctor.js';
import { createImportCommand } from '../../src/cli/import.js';
import { generateKeyPairSync } from 'node:crypto';
import { motoClients, startMoto, useMotoEnv, type Moto, type Recorded } from '../helpers/moto.js';

const BUCKET = 'course-videos';
const REGION = 'eu-west-1';
const MUTATING = /^(Create|Update|Put|Delete|Tag)/;

let moto: Moto;
let dir: string;
let clients: AwsClients;
const recorded: Recorded = [];

interface Run {
  code: number;
  out: string[];
  err: string[];
}

function cliIO(env: Record<string, string | undefined>, out: string[], err: string[]): CliIO {
  return { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, readStdin: () => Promise.resolve(''), now: () => Date.now() };
}

const makeClients = (region: string): AwsClients => motoClients(moto, region, recorded);
const awsCommand = createAwsCommand(makeClients);
// The CDN host (*.cloudfront.net) is not reachable from here: the live probe must say it skipped.
const offlineCdn = (url: string, init?: { method?: string; signal?: AbortSignal }) =>
  new URL(url).hostname.endsWith('.cloudfront.net') ? Promise.reject(Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } })) : fetch(url, init);
const doctorCommand = createDoctorCommand({ makeClients, fetch: offlineCdn });
const importCommand = createImportCommand({ progress: { isTTY: false, write: () => undefined, now: () => Date.now() } });

async function setup(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await awsCommand.run(['setup', ...args], cliIO({ ...moto.env }, out, err));
  return { code, out, err };
}

let serviceEnv: Record<string, string | undefined> = {};

async function doctor(env: Record<string, string | undefined> = serviceEnv): Promise<Run & { byId: (id: string) => string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await doctorCommand.run([], cliIO(env, out, err));
  return { code, out, err, byId: (id) => out.filter((l) => l.slice(6).startsWith(`${id}:`)) };
}

function mutationsSince(mark: number): string[] {
  return recorded.slice(mark).map((r) => r.command).filter((c) => MUTATING.test(c));
}

beforeAll(async () => {
  moto = await startMoto();
  useMotoEnv(moto);
  dir = mkdtempSync(join(tmpdir(), 'hlsgate-moto-'));
  clients = makeClients(REGION);
}, 60_000);

afterAll(async () => {
  clients?.s3.destroy();
  clients?.cloudfront.destroy();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.sequential('aws setup, import and doctor against moto', () => {
  it('--dry-run prints the plan and changes nothing (no resource, no key file)', async () => {
    const mark = recorded.length;
    const r = await setup(['--bucket', 'dry-run-bucket', '--region', REGION, '--key-dir', join(dir, 'dry-keys'), '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out.filter((l) => l.startsWith('create'))).toHaveLength(7);
    expect(r.err.join('\n')).toContain('nothing was changed');
    expect(mutationsSince(mark)).toEqual([]);
    expect(existsSync(join(dir, 'dry-keys'))).toBe(false);
    await expect(clients.s3.send(new HeadBucketCommand({ Bucket: 'dry-run-bucket' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await clients.cloudfront.send(new ListDistributionsCommand({}))).DistributionList?.Quantity ?? 0).toBe(0);
  });

  it('creates what is missing, reuses the existing bucket and keeps its policy statements', async () => {
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const theirs = { Sid: 'KeepMe', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/*` };
    await clients.s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [theirs] }) }));
    const mark = recorded.length;
    const r = await setup(['--bucket', BUCKET, '--region', REGION, '--key-dir', join(dir, 'keys'), '--env-out', join(dir, 'service.env')]);
    expect(r.err).toEqual(expect.arrayContaining([expect.stringContaining('generated a key pair')]));
    expect(r.code).toBe(0);
    expect(r.out.slice(0, 8).map((l) => l.split(/\s+/)[0])).toEqual(['exists', 'create', 'create', 'create', 'create', 'exists', 'create', 'update']);

    // What moto keeps: the bucket settings, the public key, the distribution's behaviour.
    const pab = await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }));
    expect(pab.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const policy = JSON.parse((await clients.s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}') as { Statement: { Sid?: string; Condition?: unknown; Principal?: unknown }[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['KeepMe', 'AllowCloudFrontServicePrincipalReadOnly']);
    const vars = Object.fromEntries(r.out.filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(Object.keys(vars)).toEqual(['S3_BUCKET', 'AWS_REGION', 'CDN_BASE_URL', 'CLOUDFRONT_KEY_PAIR_ID', 'CLOUDFRONT_PRIVATE_KEY_FILE']);
    expect(readFileSync(join(dir, 'service.env'), 'utf8')).toContain(`CLOUDFRONT_KEY_PAIR_ID=${vars.CLOUDFRONT_KEY_PAIR_ID}`);
    const key = await clients.cloudfront.send(new GetPublicKeyCommand({ Id: vars.CLOUDFRONT_KEY_PAIR_ID }));
    const privatePem = readFileSync(vars.CLOUDFRONT_PRIVATE_KEY_FILE!, 'utf8');
    expect(createPublicKey(key.PublicKey!.PublicKeyConfig!.EncodedKey!).export({ type: 'spki', format: 'pem' })).toBe(createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }));
    expect(JSON.stringify(policy.Statement[1]?.Condition)).toContain(`distribution/`);

    // What moto drops: the requests carry it.
    const sent = recorded.slice(mark);
    const oac = sent.find((x) => x.command === 'CreateOriginAccessControlCommand')!.input as { OriginAccessControlConfig: Record<string, string> };
    expect(oac.OriginAccessControlConfig).toMatchObject({ SigningProtocol: 'sigv4', SigningBehavior: 'always', OriginAccessControlOriginType: 's3' });
    const create = sent.find((x) => x.command === 'CreateDistributionWithTagsCommand')!.input as {
      DistributionConfigWithTags: { DistributionConfig: { Origins: { Items: { DomainName: string; OriginAccessControlId: string }[] }; DefaultCacheBehavior: Record<string, unknown> } };
    };
    const config = create.DistributionConfigWithTags.DistributionConfig;
    expect(config.Origins.Items[0]).toMatchObject({ DomainName: `${BUCKET}.s3.${REGION}.amazonaws.com` });
    expect(config.Origins.Items[0]!.OriginAccessControlId).toMatch(/^\w+$/);
    expect(config.DefaultCacheBehavior).toMatchObject({ ResponseHeadersPolicyId: '5cc3b908-e619-4b99-88e5-2cf7f45965bd', ViewerProtocolPolicy: 'redirect-to-https', Compress: true });
    serviceEnv = { ...moto.env, ...vars, DATABASE_URL: `sqlite:${join(dir, 'catalog.db')}` };
  });

  it('a second run changes nothing and says so', async () => {
    const mark = recorded.length;
    const r = await setup(['--bucket', BUCKET, '--region', REGION, '--key-dir', join(dir, 'keys')]);
    expect(r.code).toBe(0);
    expect(r.out.slice(0, 8).every((l) => l.startsWith('exists'))).toBe(true);
    expect(r.err.join('\n')).toContain('nothing changed');
    expect(mutationsSince(mark)).toEqual([]);
  });

  it('--app-origin --cookies: a CORS policy of its own for exactly that origin, with credentials, attached to the distribution', async () => {
    const mark = recorded.length;
    const r = await setup(['--bucket', BUCKET, '--region', REGION, '--key-dir', join(dir, 'keys'), '--app-origin', 'https://learn.example.com', '--cookies']);
    expect(r.code).toBe(0);
    expect(r.out.find((l) => l.includes('CORS policy'))).toMatch(/^create/);
    const created = recorded.slice(mark).find((x) => x.command === 'CreateResponseHeadersPolicyCommand')!.input as { ResponseHeadersPolicyConfig: { CorsConfig: Record<string, { Items?: string[] } | boolean> } };
    const cors = created.ResponseHeadersPolicyConfig.CorsConfig;
    expect(cors.AccessControlAllowOrigins).toMatchObject({ Items: ['https://learn.example.com'] });
    expect(cors.AccessControlAllowCredentials).toBe(true);
    expect(cors.AccessControlAllowHeaders).toMatchObject({ Items: ['Range'] });
    const update = recorded.slice(mark).find((x) => x.command === 'UpdateDistributionCommand')!.input as { DistributionConfig: { DefaultCacheBehavior: { ResponseHeadersPolicyId: string } } };
    expect(update.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId).toBe('RHP1');
    const again = await setup(['--bucket', BUCKET, '--region', REGION, '--key-dir', join(dir, 'keys'), '--app-origin', 'https://learn.example.com', '--cookies']);
    expect(again.out.slice(0, 8).every((l) => l.startsWith('exists'))).toBe(true);
  });

  it('import uploads the sample folder with content types, registers it, and skips unchanged objects', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await importCommand.run(['samples/demo', '--id', 'intro', '--title', 'Introduction'], cliIO(serviceEnv, out, err))).toBe(0);
    expect(out.join('\n')).toMatch(/s3:\/\/course-videos\/videos\/intro\/: 12 uploaded, 0 unchanged/);
    expect(out).toContain('added intro\tvideos/intro/master.m3u8\tvideos/intro/\tIntroduction');
    const types = await Promise.all(
      ['master.m3u8', '360p/index.m3u8', '360p/seg_000.ts', 'keys/360p.key'].map(async (k) => (await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `videos/intro/${k}` }))).ContentType),
    );
    expect(types).toEqual(['application/vnd.apple.mpegurl', 'application/vnd.apple.mpegurl', 'video/mp2t', 'application/octet-stream']);
    const again: string[] = [];
    expect(await importCommand.run(['samples/demo', '--id', 'intro', '--title', 'Introduction'], cliIO(serviceEnv, again, []))).toBe(0);
    expect(again.join('\n')).toContain('0 uploaded, 12 unchanged');
  });

  it('upload: a multipart object (over the part size) is skipped on a rerun by its multipart ETag; a failed part is retried', async () => {
    const folder = join(dir, 'big');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'big.mp4'), randomBytes(9 * 1024 * 1024 + 17));
    writeFileSync(join(folder, 'index.m3u8'), '#EXTM3U\n');
    let failures = 1;
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (failures > 0 && (context.commandName === 'UploadPartCommand' || context.commandName === 'PutObjectCommand')) {
          failures--;
          throw Object.assign(new Error('connection reset'), { name: 'RequestTimeout', $metadata: { httpStatusCode: 500 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failOnce' },
    );
    try {
      const files = await listFolder(folder);
      const first = await uploadFolder({ s3: clients.s3, bucket: BUCKET, prefix: 'big/', files, sleep: () => Promise.resolve() });
      expect(failures).toBe(0);
      expect(first.uploaded).toEqual(['big/big.mp4', 'big/index.m3u8']);
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/big.mp4' }));
      expect(head.ETag).toMatch(/-2"$/);
      expect(head.ContentType).toBe('video/mp4');
      const second = await uploadFolder({ s3: clients.s3, bucket: BUCKET, prefix: 'big/', files });
      expect(second.uploaded).toEqual([]);
      expect(second.skipped).toEqual(['big/big.mp4', 'big/index.m3u8']);
      writeFileSync(join(folder, 'index.m3u8'), '#EXTM3U\n#changed\n');
      const third = await uploadFolder({ s3: clients.s3, bucket: BUCKET, prefix: 'big/', files: await listFolder(folder) });
      expect(third.uploaded).toEqual(['big/index.m3u8']);
    } finally {
      clients.s3.middlewareStack.remove('failOnce');
    }
  });

  it('doctor passes on what setup made (the live probe skipped: the CDN is not reachable here)', async () => {
    const r = await doctor();
    expect(r.out.filter((l) => l.startsWith('FAIL')), r.out.join('\n')).toEqual([]);
    expect(r.code).toBe(0);
    for (const id of ['config', 'private-key', 'key', 'distribution', 'trust', 'origin', 'public-access', 'bucket-policy', 'cors', 's3', 'video intro', 'clock']) {
      expect(r.byId(id)[0], `${id}\n${r.out.join('\n')}`).toMatch(/^ok /);
    }
    expect(r.byId('probe')[0]).toMatch(/^warn .*did not answer/);
  });

  it('doctor names the fault: the key is not in the trusted key group', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pk = await clients.cloudfront.send(new CreatePublicKeyCommand({ PublicKeyConfig: { CallerReference: 'other', Name: 'other-key', EncodedKey: other } }));
    const kg = await clients.cloudfront.send(new CreateKeyGroupCommand({ KeyGroupConfig: { Name: 'other-group', Items: [pk.PublicKey!.Id!] } }));
    const id = (await clients.cloudfront.send(new ListDistributionsCommand({}))).DistributionList!.Items![0]!.Id!;
    const got = await clients.cloudfront.send(new GetDistributionConfigCommand({ Id: id }));
    const config = got.DistributionConfig!;
    config.DefaultCacheBehavior!.TrustedKeyGroups = { Enabled: true, Quantity: 1, Items: [kg.KeyGroup!.Id!] };
    await clients.cloudfront.send(new UpdateDistributionCommand({ Id: id, IfMatch: got.ETag, DistributionConfig: config }));
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.byId('trust')[0]).toMatch(new RegExp(`^FAIL  trust: key ${serviceEnv.CLOUDFRONT_KEY_PAIR_ID} is not in the key group\\(s\\) ${kg.KeyGroup!.Id!}`));
    // setup repairs it
    const fixed = await setup(['--bucket', BUCKET, '--region', REGION, '--key-dir', join(dir, 'keys'), '--app-origin', 'https://learn.example.com', '--cookies']);
    expect(fixed.out.find((l) => l.includes('distribution'))).toMatch(/^update .*does not trust the key group/);
    expect((await doctor()).code).toBe(0);
    // a wrong key id: the other key exists in CloudFront but is not the private key's public half
    const wrong = await doctor({ ...serviceEnv, CLOUDFRONT_KEY_PAIR_ID: pk.PublicKey!.Id! });
    expect(wrong.code).toBe(1);
    expect(wrong.byId('key')[0]).toMatch(/^FAIL {2}key: CloudFront public key \w+ is not the public half of the private key/);
    // (An unknown key id: moto answers GetPublicKey with an HTML 500, so that case is tested on AWS-shaped facts in pure.test.ts.)
  });

  it('doctor names the fault: public access unblocked, then the bucket policy missing', async () => {
    await clients.s3.send(new PutPublicAccessBlockCommand({ Bucket: BUCKET, PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false } }));
    const open = await doctor();
    expect(open.code).toBe(1);
    expect(open.byId('public-access')[0]).toMatch(/^FAIL {2}public-access: bucket course-videos does not block public access \(off: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets\)/);
    expect(open.out.filter((l) => l.startsWith('FAIL'))).toHaveLength(1);

    await clients.s3.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    const fixedPab = await setup(['--bucket', BUCKET, '--region', REGION, '--key-dir', join(dir, 'keys'), '--app-origin', 'https://learn.example.com', '--cookies', '--dry-run']);
    expect(fixedPab.out.filter((l) => !l.startsWith('exists')).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['update block public', 'create bucket policy']);
    await clients.s3.send(new PutPublicAccessBlockCommand({ Bucket: BUCKET, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    const noPolicy = await doctor();
    expect(noPolicy.code).toBe(1);
    expect(noPolicy.byId('bucket-policy')[0]).toMatch(/^FAIL {2}bucket-policy: bucket course-videos has no bucket policy/);
    expect(noPolicy.out.filter((l) => l.startsWith('FAIL'))).toHaveLength(1);
    await setup(['--bucket', BUCKET, '--region', REGION, '--key-dir', join(dir, 'keys'), '--app-origin', 'https://learn.example.com', '--cookies']);
    expect((await doctor()).code).toBe(0);
  });

  it('doctor names the fault: a catalog video whose playlist is missing', async () => {
    await clients.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'videos/intro/360p/index.m3u8' }));
    const nested = await doctor();
    expect(nested.code).toBe(1);
    expect(nested.byId('video intro')[0]).toMatch(/^FAIL {2}video intro: nested playlist videos\/intro\/360p\/index.m3u8 \(named in videos\/intro\/master.m3u8\) not found/);
    await clients.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'videos/intro/master.m3u8' }));
    const top = await doctor();
    expect(top.byId('video intro')[0]).toMatch(/^FAIL {2}video intro: playlist videos\/intro\/master.m3u8 not found/);
  });
});
