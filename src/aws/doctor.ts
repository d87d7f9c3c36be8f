// The I/O half of `hlsgate doctor`: fetching the control-plane facts (doctor-checks.ts judges them),
// the clock against AWS's `Date` header, the live probe through the CDN, and one video's checks
// (video-check.ts) turned into doctor lines.
import { createPublicKey } from 'node:crypto';
import { GetDistributionConfigCommand, GetKeyGroupCommand, GetPublicKeyCommand } from '@aws-sdk/client-cloudfront';
import { signUrl, type SigningKey } from '../core/cloudfront/signer.js';
import type { AwsClients } from './clients.js';
import { bucketFacts, keyDer, listDistributions } from './discover.js';
import type { Check, ControlPlaneFacts } from './doctor-checks.js';
import { awsCall, AwsCallError, errorCode, isNotFound } from './errors.js';
import type { VideoCheckResult } from './video-check.js';

export type FetchFn = (url: string, init?: { method?: string; signal?: AbortSignal }) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** DER (base64) of a signing key's public half. */
export function publicDerOf(key: SigningKey): string {
  return createPublicKey(key.privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
}

export async function fetchControlPlaneFacts(
  c: AwsClients,
  o: { keyPairId: string; privateKeyPublicDer: string; cdnHost: string; bucket: string; videoKeys: string[] },
): Promise<ControlPlaneFacts> {
  let cloudFrontKey: ControlPlaneFacts['cloudFrontKey'];
  try {
    const got = await c.cloudfront.send(new GetPublicKeyCommand({ Id: o.keyPairId }));
    const pem = got.PublicKey?.PublicKeyConfig?.EncodedKey;
    cloudFrontKey = { found: true, der: pem === undefined ? undefined : keyDer(pem), ...(got.PublicKey?.PublicKeyConfig?.Name ? { name: got.PublicKey.PublicKeyConfig.Name } : {}) };
  } catch (err) {
    if (!isNotFound(err) && errorCode(err) !== 'NoSuchPublicKey') throw new AwsCallError('cloudfront:GetPublicKey', `public key ${o.keyPairId}`, err);
    cloudFrontKey = { found: false };
  }

  const host = o.cdnHost.toLowerCase();
  const summaries = await awsCall('cloudfront:ListDistributions', 'distributions', () => listDistributions(c));
  const summary = summaries.find((d) => d.DomainName?.toLowerCase() === host || (d.Aliases?.Items ?? []).some((a) => a.toLowerCase() === host));
  let distribution: ControlPlaneFacts['distribution'];
  const keyGroups: ControlPlaneFacts['keyGroups'] = {};
  if (summary?.Id) {
    const id = summary.Id;
    const got = await awsCall('cloudfront:GetDistributionConfig', `distribution ${id}`, () => c.cloudfront.send(new GetDistributionConfigCommand({ Id: id })));
    if (got.DistributionConfig) {
      distribution = { id, arn: summary.ARN ?? '', domainName: summary.DomainName ?? '', aliases: summary.Aliases?.Items ?? [], config: got.DistributionConfig };
      const behaviours = [got.DistributionConfig.DefaultCacheBehavior, ...(got.DistributionConfig.CacheBehaviors?.Items ?? [])];
      const ids = new Set(behaviours.flatMap((b) => (b?.TrustedKeyGroups?.Enabled ? (b.TrustedKeyGroups.Items ?? []) : [])));
      for (const g of ids) {
        try {
          const kg = await c.cloudfront.send(new GetKeyGroupCommand({ Id: g }));
          const cfg = kg.KeyGroup?.KeyGroupConfig;
          keyGroups[g] = { items: cfg?.Items ?? [], ...(cfg?.Name ? { name: cfg.Name } : {}) };
        } catch (err) {
          if (!isNotFound(err)) throw new AwsCallError('cloudfront:GetKeyGroup', `key group ${g}`, err);
          keyGroups[g] = undefined;
        }
      }
    }
  }

  const bucket = await bucketFacts(c, o.bucket);
  return {
    keyPairId: o.keyPairId,
    privateKeyPublicDer: o.privateKeyPublicDer,
    cloudFrontKey,
    cdnHost: host,
    ...(distribution ? { distribution } : {}),
    keyGroups,
    videoKeys: o.videoKeys,
    bucket: o.bucket,
    publicAccessBlock: bucket.exists ? bucket.publicAccessBlock : undefined,
    bucketPolicy: bucket.exists ? bucket.policy : undefined,
  };
}

const PROBE_TIMEOUT_MS = 5000;

function short(err: unknown): string {
  const cause = (err as { cause?: { code?: string } } | null)?.cause?.code;
  return cause ?? (err instanceof Error ? err.message : String(err));
}

/** The clock against a server's `Date` header (60 s tolerance: signatures start and end on it). */
export async function checkClock(url: string, nowMs: () => number, fetchFn: FetchFn): Promise<Check> {
  let date: string | null;
  try {
    const res = await fetchFn(url, { method: 'HEAD', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    date = res.headers.get('date');
  } catch (err) {
    return { id: 'clock', status: 'warn', message: `not checked: ${url} did not answer (${short(err)})` };
  }
  const theirs = date === null ? NaN : Date.parse(date);
  if (Number.isNaN(theirs)) return { id: 'clock', status: 'warn', message: `not checked: ${url} sent no Date header` };
  const skew = Math.round((nowMs() - theirs) / 1000);
  if (Math.abs(skew) > 60) {
    return { id: 'clock', status: 'FAIL', message: `this clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} ${new URL(url).host}: signatures would start or end early`, fix: 'sync the clock (NTP, chrony or systemd-timesyncd)' };
  }
  return { id: 'clock', status: 'ok', message: `clock within ${Math.max(1, Math.abs(skew))} s of ${new URL(url).host}` };
}

/**
 * One media object fetched through the CDN signed (expects 200) and unsigned (expects 403
 * MissingKey). A CDN that does not answer (not deployed yet, no network) gives a warning.
 */
export async function liveProbe(mediaUrl: string, key: SigningKey, nowMs: () => number, fetchFn: FetchFn): Promise<Check[]> {
  const signed = signUrl(mediaUrl, key, { expires: Math.floor(nowMs() / 1000) + 300 });
  const shown = new URL(mediaUrl).pathname;
  let res;
  try {
    res = await fetchFn(signed, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (err) {
    return [{ id: 'probe', status: 'warn', message: `live probe skipped: ${new URL(mediaUrl).host} did not answer (${short(err)}); a new distribution takes minutes to deploy` }];
  }
  const checks: Check[] = [];
  const body = await res.text().catch(() => '');
  const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
  if (res.status === 200 || res.status === 206) checks.push({ id: 'probe', status: 'ok', message: `signed GET ${shown}: ${res.status}` });
  else
    checks.push({
      id: 'probe',
      status: 'FAIL',
      message: `signed GET ${shown}: ${res.status}${code ? ` ${code}` : ''}`,
      fix: code === 'AccessDenied' && res.status === 403 ? 'see the checks above (key, bucket policy, origin access control); hlsgate verify names the reason' : 'see the checks above',
    });
  try {
    const bare = await fetchFn(mediaUrl, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const text = await bare.text().catch(() => '');
    if (bare.status === 403 && text.includes('MissingKey')) checks.push({ id: 'probe', status: 'ok', message: `unsigned GET ${shown}: 403 MissingKey` });
    else
      checks.push({
        id: 'probe',
        status: 'FAIL',
        message: `unsigned GET ${shown}: ${bare.status}, not 403 MissingKey: the CDN serves media without a signature`,
        fix: 'restrict viewer access (trusted key groups) on the behaviour serving the videos',
      });
  } catch (err) {
    checks.push({ id: 'probe', status: 'warn', message: `unsigned GET ${shown}: no answer (${short(err)})` });
  }
  return checks;
}

/** One video's check as doctor lines. */
export function videoLines(r: VideoCheckResult, nowMs: number): Check[] {
  if (!r.ok) return r.problems.map((p) => ({ id: `video ${r.id}`, status: 'FAIL' as const, message: p, fix: `re-upload it (hlsgate import <folder> --id ${r.id}) or fix the catalog entry (hlsgate videos add)` }));
  const ttl = r.expires === undefined ? '' : `, signatures valid ${Math.round(r.expires - nowMs / 1000)} s`;
  return [
    { id: `video ${r.id}`, status: 'ok', message: `${r.playlistKey}: ${r.playlists.length} playlist(s), ${r.totalDuration.toFixed(1)} s${ttl}` },
    ...r.warnings.map((w) => ({ id: `video ${r.id}`, status: 'warn' as const, message: w })),
  ];
}
