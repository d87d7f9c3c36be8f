// `hlsgate doctor`'s control-plane checks as pure functions over fetched facts (doctor-facts.ts
// fetches them): the CloudFront public key, the distribution serving CDN_BASE_URL, its trusted key
// groups, its origin, the bucket's public access block and policy, CORS. Each returns Checks.
import type { CacheBehavior, DistributionConfig } from '@aws-sdk/client-cloudfront';
import { isBucketDomain, parsePolicy, policyAllowsDistribution } from './resources.js';
import type { PublicAccessBlock } from './plan.js';

export type CheckStatus = 'ok' | 'FAIL' | 'warn' | 'n/a';

export interface Check {
  /** Short stable name (`key`, `distribution`, `trust`, ...), for --json and tests. */
  id: string;
  status: CheckStatus;
  message: string;
  /** For a FAIL or warn: what to do. */
  fix?: string;
}

export function checkLine(c: Check): string {
  return `${c.status.padEnd(5)} ${c.id}: ${c.message}${c.fix ? ` -> fix: ${c.fix}` : ''}`;
}

export interface ControlPlaneFacts {
  keyPairId: string;
  /** DER (base64) of the configured private key's public half. */
  privateKeyPublicDer: string;
  /** The CloudFront public key named by CLOUDFRONT_KEY_PAIR_ID: its DER, or not found. */
  cloudFrontKey: { found: true; der: string | undefined; name?: string } | { found: false };
  /** CDN_BASE_URL's host. */
  cdnHost: string;
  /** The distribution serving that host, if any. */
  distribution?: { id: string; arn: string; domainName: string; aliases: string[]; config: DistributionConfig };
  /** Key groups the distribution's behaviours trust, by id. */
  keyGroups: Record<string, { name?: string; items: string[] } | undefined>;
  /** Object keys of the catalog's playlists (which behaviours serve the videos). */
  videoKeys: string[];
  bucket: string;
  /** undefined: none configured. */
  publicAccessBlock: Partial<PublicAccessBlock> | undefined;
  /** undefined: no bucket policy. */
  bucketPolicy: string | undefined;
}

/** CloudFront path pattern matching (`*` any run, `?` one character, case-sensitive). */
export function pathPatternMatches(pattern: string, path: string): boolean {
  const p = pattern.startsWith('/') ? pattern : `/${pattern}`;
  const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(path);
}

type Behavior = Pick<CacheBehavior, 'TrustedKeyGroups' | 'TargetOriginId' | 'ResponseHeadersPolicyId' | 'TrustedSigners'> & { PathPattern?: string };

/** The behaviour serving a path: the first cache behaviour whose pattern matches, else the default. */
export function behaviorFor(config: DistributionConfig, path: string): Behavior | undefined {
  for (const b of config.CacheBehaviors?.Items ?? []) if (b.PathPattern !== undefined && pathPatternMatches(b.PathPattern, path)) return b;
  return config.DefaultCacheBehavior;
}

function behaviorName(b: Behavior): string {
  return b.PathPattern ? `behaviour ${b.PathPattern}` : 'default behaviour';
}

/** The behaviours that serve the videos (the default one when there are no videos). */
export function videoBehaviors(config: DistributionConfig, videoKeys: string[]): Behavior[] {
  const keys = videoKeys.length ? videoKeys : ['videos/x/index.m3u8'];
  const out: Behavior[] = [];
  for (const k of keys) {
    const b = behaviorFor(config, `/${k}`);
    if (b && !out.includes(b)) out.push(b);
  }
  return out;
}

export function checkKey(f: ControlPlaneFacts): Check {
  if (!f.cloudFrontKey.found) {
    return {
      id: 'key',
      status: 'FAIL',
      message: `CloudFront has no public key ${f.keyPairId} (CLOUDFRONT_KEY_PAIR_ID)`,
      fix: 'set CLOUDFRONT_KEY_PAIR_ID to the public key id (not the key group id) that hlsgate aws setup printed',
    };
  }
  if (f.cloudFrontKey.der !== f.privateKeyPublicDer) {
    return {
      id: 'key',
      status: 'FAIL',
      message: `CloudFront public key ${f.keyPairId} is not the public half of the private key: every signature would be refused (403 AccessDenied)`,
      fix: 'use the private key of that public key, or run hlsgate aws setup with this key and use the id it prints',
    };
  }
  return { id: 'key', status: 'ok', message: `CloudFront public key ${f.keyPairId}${f.cloudFrontKey.name ? ` (${f.cloudFrontKey.name})` : ''} matches the private key` };
}

export function checkDistribution(f: ControlPlaneFacts): Check {
  if (!f.distribution) {
    return { id: 'distribution', status: 'FAIL', message: `no distribution serves ${f.cdnHost} (CDN_BASE_URL)`, fix: 'set CDN_BASE_URL to https://<the distribution domain> that hlsgate aws setup printed' };
  }
  const d = f.distribution;
  if (d.config.Enabled === false) return { id: 'distribution', status: 'FAIL', message: `distribution ${d.id} serves ${f.cdnHost} but is disabled`, fix: 'enable it in the CloudFront console' };
  return { id: 'distribution', status: 'ok', message: `distribution ${d.id} serves ${f.cdnHost}${f.cdnHost === d.domainName ? '' : ' (alias)'}` };
}

export function checkTrust(f: ControlPlaneFacts): Check[] {
  const d = f.distribution;
  if (!d) return [];
  return videoBehaviors(d.config, f.videoKeys).map((b): Check => {
    const name = behaviorName(b);
    const groups = b.TrustedKeyGroups?.Enabled ? (b.TrustedKeyGroups.Items ?? []) : [];
    if (groups.length === 0) {
      const legacy = b.TrustedSigners?.Enabled ? ' (it uses legacy trusted signers, which do not know public key ids)' : '';
      return {
        id: 'trust',
        status: 'FAIL',
        message: `${name} of ${d.id} does not restrict viewer access: it trusts no key group${legacy}, so media is public or unsigned URLs pass`,
        fix: 'Restrict viewer access: Yes, trusted key groups: the key group holding your key (hlsgate aws setup does this)',
      };
    }
    const holding = groups.filter((g) => f.keyGroups[g]?.items.includes(f.keyPairId));
    if (holding.length === 0) {
      const named = groups.map((g) => `${g}${f.keyGroups[g]?.name ? ` (${f.keyGroups[g]?.name})` : ''}`).join(', ');
      return {
        id: 'trust',
        status: 'FAIL',
        message: `key ${f.keyPairId} is not in the key group(s) ${named} trusted by ${name} of ${d.id}: CloudFront answers 403 "Unknown Key"`,
        fix: `add public key ${f.keyPairId} to key group ${groups[0] ?? ''} (or run hlsgate aws setup)`,
      };
    }
    return { id: 'trust', status: 'ok', message: `${name} trusts key group ${holding.join(', ')}, which holds ${f.keyPairId}` };
  });
}

export function checkOrigin(f: ControlPlaneFacts): Check[] {
  const d = f.distribution;
  if (!d) return [];
  return videoBehaviors(d.config, f.videoKeys).map((b): Check => {
    const origin = d.config.Origins?.Items?.find((o) => o.Id === b.TargetOriginId);
    if (!origin?.DomainName) return { id: 'origin', status: 'FAIL', message: `${behaviorName(b)} of ${d.id} targets origin "${b.TargetOriginId ?? ''}", which does not exist`, fix: 'point it at the bucket origin' };
    if (!isBucketDomain(origin.DomainName, f.bucket)) {
      return { id: 'origin', status: 'FAIL', message: `${behaviorName(b)} of ${d.id} reads from ${origin.DomainName}, not bucket ${f.bucket} (S3_BUCKET)`, fix: `use the origin ${f.bucket}.s3.<region>.amazonaws.com, or fix S3_BUCKET` };
    }
    if (origin.OriginPath) {
      return { id: 'origin', status: 'FAIL', message: `origin ${origin.Id ?? ''} has origin path ${origin.OriginPath}: CDN_BASE_URL would not map to the bucket root`, fix: 'remove the origin path' };
    }
    if (origin.OriginAccessControlId) return { id: 'origin', status: 'ok', message: `origin is bucket ${f.bucket} with origin access control ${origin.OriginAccessControlId}` };
    if (origin.S3OriginConfig?.OriginAccessIdentity) {
      return { id: 'origin', status: 'warn', message: `origin is bucket ${f.bucket} with a legacy origin access identity`, fix: 'migrate to an origin access control (hlsgate aws setup creates one)' };
    }
    return {
      id: 'origin',
      status: 'FAIL',
      message: `origin ${f.bucket} has no origin access control: CloudFront reads the private bucket unsigned and gets 403`,
      fix: 'attach an origin access control (sigv4, always) to the origin (hlsgate aws setup does this)',
    };
  });
}

export function checkPublicAccess(f: ControlPlaneFacts): Check {
  const pab = f.publicAccessBlock;
  const off = (['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const).filter((k) => pab?.[k] !== true);
  if (off.length === 0) return { id: 'public-access', status: 'ok', message: `bucket ${f.bucket} blocks all public access` };
  return {
    id: 'public-access',
    status: 'FAIL',
    message: `bucket ${f.bucket} does not block public access (${pab === undefined ? 'no Block Public Access configuration' : `off: ${off.join(', ')}`}): the videos may be readable without CloudFront`,
    fix: `aws s3api put-public-access-block --bucket ${f.bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
  };
}

export function checkBucketPolicy(f: ControlPlaneFacts): Check {
  const arn = f.distribution?.arn;
  const fix = `run hlsgate aws setup --bucket ${f.bucket}, or add the statement allowing s3:GetObject to cloudfront.amazonaws.com with AWS:SourceArn = the distribution`;
  if (f.bucketPolicy === undefined) return { id: 'bucket-policy', status: 'FAIL', message: `bucket ${f.bucket} has no bucket policy: CloudFront cannot read it (403 AccessDenied from S3)`, fix };
  let allows: boolean;
  try {
    allows = arn !== undefined && policyAllowsDistribution(parsePolicy(f.bucketPolicy), f.bucket, arn);
  } catch {
    return { id: 'bucket-policy', status: 'FAIL', message: `bucket ${f.bucket}'s policy is not valid JSON`, fix };
  }
  if (arn === undefined) return { id: 'bucket-policy', status: 'warn', message: 'not checked: no distribution found' };
  if (!allows) return { id: 'bucket-policy', status: 'FAIL', message: `bucket ${f.bucket}'s policy does not let distribution ${f.distribution?.id ?? ''} read (s3:GetObject for cloudfront.amazonaws.com, AWS:SourceArn ${arn})`, fix };
  return { id: 'bucket-policy', status: 'ok', message: `bucket ${f.bucket}'s policy lets distribution ${f.distribution?.id ?? ''} read` };
}

export function checkCors(f: ControlPlaneFacts): Check[] {
  const d = f.distribution;
  if (!d) return [];
  return videoBehaviors(d.config, f.videoKeys).map((b): Check =>
    b.ResponseHeadersPolicyId
      ? { id: 'cors', status: 'ok', message: `${behaviorName(b)} has response headers policy ${b.ResponseHeadersPolicyId}` }
      : {
          id: 'cors',
          status: 'warn',
          message: `${behaviorName(b)} of ${d.id} has no response headers policy: browsers on another origin get CORS errors`,
          fix: 'attach Managed-CORS-With-Preflight, or a CORS policy for your app origin (hlsgate aws setup --app-origin)',
        },
  );
}

/** Every control-plane check, in the order doctor prints them. */
export function controlPlaneChecks(f: ControlPlaneFacts): Check[] {
  return [checkKey(f), checkDistribution(f), ...checkTrust(f), ...checkOrigin(f), checkPublicAccess(f), checkBucketPolicy(f), ...checkCors(f)];
}
