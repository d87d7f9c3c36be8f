// `aws setup` as a pure plan: what exists (SetupFacts, fetched by discover.ts) and what is wanted
// (resources.ts Wanted) in, the ordered steps out, each `create`, `exists` or `update`.
// apply.ts performs them. No I/O here.
import type { DistributionConfig, ResponseHeadersPolicyConfig } from '@aws-sdk/client-cloudfront';
import {
  BLOCK_ALL_PUBLIC_ACCESS,
  bucketRegionalDomain,
  distributionDrift,
  MANAGED_CORS_WITH_PREFLIGHT,
  mergeBucketPolicy,
  ownsCorsPolicy,
  responseHeadersPolicyConfig,
  type Wanted,
} from './resources.js';

export type PublicAccessBlock = Record<keyof typeof BLOCK_ALL_PUBLIC_ACCESS, boolean>;

/** What exists in the account, as setup looks for it. */
export interface SetupFacts {
  bucket: { exists: false } | { exists: true; region?: string; publicAccessBlock?: Partial<PublicAccessBlock>; policy?: string };
  /** The CloudFront public key holding the same key (whatever its name). */
  publicKey?: { id: string; name: string };
  keyGroup?: { id: string; etag: string; name: string; items: string[]; comment?: string };
  oac?: { id: string; name: string };
  /** Our own CORS policy (found by name), when the wanted CORS is ours. */
  corsPolicy?: { id: string; etag: string; config: ResponseHeadersPolicyConfig };
  distribution?: { id: string; arn: string; domainName: string; etag: string; config: DistributionConfig };
}

export type Action = 'create' | 'exists' | 'update';

export type Resource = 'bucket' | 'public-access-block' | 'public-key' | 'key-group' | 'origin-access-control' | 'cors-policy' | 'distribution' | 'bucket-policy';

export interface Step {
  resource: Resource;
  action: Action;
  /** What it is, for the line: `bucket my-videos`, `key group hlsgate-my-videos`. */
  what: string;
  /** Why an update, or the id of what exists. */
  detail?: string;
}

export const RESOURCE_LABEL: Record<Resource, string> = {
  bucket: 'bucket',
  'public-access-block': 'block public access',
  'public-key': 'public key',
  'key-group': 'key group',
  'origin-access-control': 'origin access control',
  'cors-policy': 'CORS policy',
  distribution: 'distribution',
  'bucket-policy': 'bucket policy',
};

/** One line of the plan: `create  key group hlsgate-b` (padded action, then what, then detail). */
export function stepLine(s: Step): string {
  return `${s.action.padEnd(8)}${RESOURCE_LABEL[s.resource]} ${s.what}${s.detail ? ` (${s.detail})` : ''}`;
}

function corsDiffers(current: ResponseHeadersPolicyConfig, wanted: ResponseHeadersPolicyConfig): boolean {
  const a = current.CorsConfig;
  const b = wanted.CorsConfig;
  const set = (x: { Items?: string[] } | undefined): string => [...(x?.Items ?? [])].sort().join(',');
  return (
    !a ||
    !b ||
    set(a.AccessControlAllowOrigins) !== set(b.AccessControlAllowOrigins) ||
    set(a.AccessControlAllowMethods) !== set(b.AccessControlAllowMethods) ||
    set(a.AccessControlAllowHeaders) !== set(b.AccessControlAllowHeaders) ||
    set(a.AccessControlExposeHeaders) !== set(b.AccessControlExposeHeaders) ||
    Boolean(a.AccessControlAllowCredentials) !== Boolean(b.AccessControlAllowCredentials)
  );
}

/** The steps that bring `facts` to `wanted`, in the order apply performs them. */
export function planSetup(facts: SetupFacts, w: Wanted, keyName: string): Step[] {
  const steps: Step[] = [];
  const bucket = facts.bucket;
  steps.push({ resource: 'bucket', action: bucket.exists ? 'exists' : 'create', what: w.bucket, ...(bucket.exists && bucket.region ? { detail: bucket.region } : {}) });

  const pab = bucket.exists ? bucket.publicAccessBlock : undefined;
  const open = (Object.keys(BLOCK_ALL_PUBLIC_ACCESS) as (keyof PublicAccessBlock)[]).filter((k) => pab?.[k] !== true);
  steps.push({
    resource: 'public-access-block',
    action: !bucket.exists || pab === undefined ? 'create' : open.length ? 'update' : 'exists',
    what: w.bucket,
    ...(bucket.exists && pab !== undefined && open.length ? { detail: `turns on ${open.join(', ')}` } : {}),
  });

  steps.push(facts.publicKey ? { resource: 'public-key', action: 'exists', what: facts.publicKey.name, detail: facts.publicKey.id } : { resource: 'public-key', action: 'create', what: keyName });

  const keyId = facts.publicKey?.id;
  const group = facts.keyGroup;
  if (!group) steps.push({ resource: 'key-group', action: 'create', what: w.name });
  else if (keyId === undefined || !group.items.includes(keyId)) steps.push({ resource: 'key-group', action: 'update', what: group.name, detail: `adds the public key; ${group.id}` });
  else steps.push({ resource: 'key-group', action: 'exists', what: group.name, detail: group.id });

  steps.push(facts.oac ? { resource: 'origin-access-control', action: 'exists', what: facts.oac.name, detail: facts.oac.id } : { resource: 'origin-access-control', action: 'create', what: w.name });

  let corsId: string | undefined = MANAGED_CORS_WITH_PREFLIGHT;
  if (!ownsCorsPolicy(w)) {
    steps.push({ resource: 'cors-policy', action: 'exists', what: 'Managed-CORS-With-Preflight', detail: 'AWS managed' });
  } else {
    const wanted = responseHeadersPolicyConfig(w);
    const current = facts.corsPolicy;
    corsId = current?.id;
    if (!current) steps.push({ resource: 'cors-policy', action: 'create', what: wanted.Name ?? w.name });
    else if (corsDiffers(current.config, wanted)) steps.push({ resource: 'cors-policy', action: 'update', what: wanted.Name ?? w.name, detail: `origins ${w.appOrigins.join(' ')}${w.cookies ? ', credentials' : ''}` });
    else steps.push({ resource: 'cors-policy', action: 'exists', what: wanted.Name ?? w.name, detail: current.id });
  }

  const dist = facts.distribution;
  const oacId = facts.oac?.id;
  const groupId = group?.id;
  if (!dist) {
    steps.push({ resource: 'distribution', action: 'create', what: w.name });
  } else {
    // Something it points at is new: the distribution must be updated to point at it.
    const drift =
      oacId === undefined || groupId === undefined || corsId === undefined
        ? ['points at resources created above']
        : distributionDrift(dist.config, { originDomain: bucketRegionalDomain(w.bucket, regionOf(facts, w)), oacId, keyGroupId: groupId, responseHeadersPolicyId: corsId });
    steps.push(drift.length ? { resource: 'distribution', action: 'update', what: dist.id, detail: drift.join('; ') } : { resource: 'distribution', action: 'exists', what: dist.id, detail: dist.domainName });
  }

  const policy = bucket.exists ? bucket.policy : undefined;
  if (!dist) {
    steps.push({ resource: 'bucket-policy', action: policy === undefined ? 'create' : 'update', what: w.bucket, detail: 'allows the distribution to read; other statements kept' });
  } else {
    const merged = mergeBucketPolicy(policy, w.bucket, dist.arn);
    steps.push(
      merged === undefined
        ? { resource: 'bucket-policy', action: 'exists', what: w.bucket, detail: `allows ${dist.id}` }
        : { resource: 'bucket-policy', action: policy === undefined ? 'create' : 'update', what: w.bucket, detail: `allows ${dist.id}; other statements kept` },
    );
  }
  return steps;
}

/** The bucket's region: where it is when it exists, else where it will be made. */
export function regionOf(facts: SetupFacts, w: Wanted): string {
  return (facts.bucket.exists ? facts.bucket.region : undefined) ?? w.region;
}

/** Whether a plan changes anything. */
export function changes(steps: Step[]): number {
  return steps.filter((s) => s.action !== 'exists').length;
}
