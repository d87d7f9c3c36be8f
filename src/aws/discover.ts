// What `aws setup` finds in the account (SetupFacts for plan.ts): the bucket and its settings, the
// public key holding the same key, and the key group, OAC, CORS policy and distribution carrying
// the setup's name. Read-only calls.
import { createPublicKey } from 'node:crypto';
import {
  GetDistributionConfigCommand,
  GetKeyGroupCommand,
  GetResponseHeadersPolicyConfigCommand,
  ListDistributionsCommand,
  ListKeyGroupsCommand,
  ListOriginAccessControlsCommand,
  ListPublicKeysCommand,
  ListResponseHeadersPoliciesCommand,
  ListTagsForResourceCommand,
  type DistributionSummary,
} from '@aws-sdk/client-cloudfront';
import { GetBucketPolicyCommand, GetPublicAccessBlockCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from './clients.js';
import { awsCall, AwsCallError, errorCode, httpStatus, isNotFound } from './errors.js';
import type { PublicAccessBlock, SetupFacts } from './plan.js';
import { isBucketDomain, NAME_TAG, ownsCorsPolicy, resourceName, responseHeadersPolicyConfig, type Wanted } from './resources.js';

/** The DER of a public key PEM, for comparing keys whatever their PEM line breaks. */
export function keyDer(pem: string): string | undefined {
  try {
    return createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
  } catch {
    return undefined;
  }
}

/** Every page of a Marker-paginated CloudFront list. */
async function allPages<T>(fetch: (marker: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await fetch(marker);
    out.push(...page.items);
    if (!page.next || page.next === marker) break;
    marker = page.next;
  }
  return out;
}

export async function bucketFacts(c: AwsClients, bucket: string): Promise<SetupFacts['bucket']> {
  let region: string | undefined;
  try {
    const head = await c.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    region = head.BucketRegion;
  } catch (err) {
    if (isNotFound(err)) return { exists: false };
    if (httpStatus(err) === 403) {
      throw new AwsCallError('s3:HeadBucket', `bucket "${bucket}"`, Object.assign(new Error('the bucket exists but is not readable with these credentials (another account owns it, or s3:ListBucket is missing)'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    }
    throw new AwsCallError('s3:HeadBucket', `bucket "${bucket}"`, err);
  }
  let publicAccessBlock: Partial<PublicAccessBlock> | undefined;
  try {
    const pab = await c.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    const conf = pab.PublicAccessBlockConfiguration ?? {};
    publicAccessBlock = {
      BlockPublicAcls: conf.BlockPublicAcls === true,
      IgnorePublicAcls: conf.IgnorePublicAcls === true,
      BlockPublicPolicy: conf.BlockPublicPolicy === true,
      RestrictPublicBuckets: conf.RestrictPublicBuckets === true,
    };
  } catch (err) {
    if (errorCode(err) !== 'NoSuchPublicAccessBlockConfiguration' && !isNotFound(err)) throw new AwsCallError('s3:GetPublicAccessBlock', `bucket "${bucket}"`, err);
  }
  let policy: string | undefined;
  try {
    policy = (await c.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (err) {
    if (errorCode(err) !== 'NoSuchBucketPolicy' && !isNotFound(err)) throw new AwsCallError('s3:GetBucketPolicy', `bucket "${bucket}"`, err);
  }
  return { exists: true, ...(region ? { region } : {}), ...(publicAccessBlock ? { publicAccessBlock } : {}), ...(policy ? { policy } : {}) };
}

/** The CloudFront public key holding this key (compared by DER), if any. */
export async function findPublicKey(c: AwsClients, publicKeyPem: string): Promise<{ id: string; name: string } | undefined> {
  const want = keyDer(publicKeyPem);
  const keys = await awsCall('cloudfront:ListPublicKeys', 'public keys', () =>
    allPages(async (Marker) => {
      const r = await c.cloudfront.send(new ListPublicKeysCommand({ Marker }));
      return { items: r.PublicKeyList?.Items ?? [], next: r.PublicKeyList?.NextMarker };
    }),
  );
  const found = keys.find((k) => k.EncodedKey !== undefined && keyDer(k.EncodedKey) === want);
  return found?.Id ? { id: found.Id, name: found.Name ?? found.Id } : undefined;
}

/** Distributions whose origin is the bucket and whose tag names this setup. */
export async function findDistribution(c: AwsClients, bucket: string, name: string): Promise<SetupFacts['distribution']> {
  const summaries = await awsCall('cloudfront:ListDistributions', 'distributions', () => listDistributions(c));
  for (const d of summaries) {
    if (!d.Id || !d.ARN) continue;
    // A summary listing origins that are not the bucket's is not ours (some endpoints list none: check the tag then).
    const origins = d.Origins?.Items;
    if (origins && origins.length > 0 && !origins.some((o) => o.DomainName !== undefined && isBucketDomain(o.DomainName, bucket))) continue;
    const tags = await awsCall('cloudfront:ListTagsForResource', `distribution ${d.Id}`, () => c.cloudfront.send(new ListTagsForResourceCommand({ Resource: d.ARN })));
    if (!(tags.Tags?.Items ?? []).some((t) => t.Key === NAME_TAG && t.Value === name)) continue;
    const got = await awsCall('cloudfront:GetDistributionConfig', `distribution ${d.Id}`, () => c.cloudfront.send(new GetDistributionConfigCommand({ Id: d.Id })));
    if (!got.DistributionConfig || !got.ETag) continue;
    return { id: d.Id, arn: d.ARN, domainName: d.DomainName ?? '', etag: got.ETag, config: got.DistributionConfig };
  }
  return undefined;
}

export function listDistributions(c: AwsClients): Promise<DistributionSummary[]> {
  return allPages(async (Marker) => {
    const r = await c.cloudfront.send(new ListDistributionsCommand({ Marker }));
    return { items: r.DistributionList?.Items ?? [], next: r.DistributionList?.NextMarker };
  });
}

export async function discoverSetup(c: AwsClients, w: Wanted): Promise<SetupFacts> {
  const facts: SetupFacts = { bucket: await bucketFacts(c, w.bucket) };
  const key = await findPublicKey(c, w.publicKeyPem);
  if (key) facts.publicKey = key;

  const groupName = resourceName(w.name);
  const groups = await awsCall('cloudfront:ListKeyGroups', 'key groups', () =>
    allPages(async (Marker) => {
      const r = await c.cloudfront.send(new ListKeyGroupsCommand({ Marker }));
      return { items: r.KeyGroupList?.Items ?? [], next: r.KeyGroupList?.NextMarker };
    }),
  );
  const group = groups.find((g) => g.KeyGroup?.KeyGroupConfig?.Name === groupName)?.KeyGroup;
  if (group?.Id) {
    const got = await awsCall('cloudfront:GetKeyGroup', `key group "${groupName}"`, () => c.cloudfront.send(new GetKeyGroupCommand({ Id: group.Id })));
    const config = got.KeyGroup?.KeyGroupConfig;
    facts.keyGroup = { id: group.Id, etag: got.ETag ?? '', name: groupName, items: config?.Items ?? [], ...(config?.Comment ? { comment: config.Comment } : {}) };
  }

  const oacs = await awsCall('cloudfront:ListOriginAccessControls', 'origin access controls', () =>
    allPages(async (Marker) => {
      const r = await c.cloudfront.send(new ListOriginAccessControlsCommand({ Marker }));
      return { items: r.OriginAccessControlList?.Items ?? [], next: r.OriginAccessControlList?.NextMarker };
    }),
  );
  const oac = oacs.find((o) => o.Name === groupName);
  if (oac?.Id) facts.oac = { id: oac.Id, name: groupName };

  if (ownsCorsPolicy(w)) {
    const wantedName = responseHeadersPolicyConfig(w).Name;
    const list = await awsCall('cloudfront:ListResponseHeadersPolicies', 'response headers policies', () =>
      allPages(async (Marker) => {
        const r = await c.cloudfront.send(new ListResponseHeadersPoliciesCommand({ Marker, Type: 'custom' }));
        return { items: r.ResponseHeadersPolicyList?.Items ?? [], next: r.ResponseHeadersPolicyList?.NextMarker };
      }),
    );
    const found = list.find((p) => p.ResponseHeadersPolicy?.ResponseHeadersPolicyConfig?.Name === wantedName)?.ResponseHeadersPolicy;
    if (found?.Id) {
      const got = await awsCall('cloudfront:GetResponseHeadersPolicyConfig', `response headers policy "${wantedName}"`, () =>
        c.cloudfront.send(new GetResponseHeadersPolicyConfigCommand({ Id: found.Id })),
      );
      if (got.ResponseHeadersPolicyConfig) facts.corsPolicy = { id: found.Id, etag: got.ETag ?? '', config: got.ResponseHeadersPolicyConfig };
    }
  }

  const dist = await findDistribution(c, w.bucket, w.name);
  if (dist) facts.distribution = dist;
  return facts;
}
