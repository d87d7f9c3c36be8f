// What `hlsgate aws setup` makes, as plain data: the request bodies for the bucket settings, the
// public key, the key group, the origin access control, the CORS response headers policy, the
// distribution and the bucket policy statement. Pure: options in, SDK input shapes out.
import type { DistributionConfig, ResponseHeadersPolicyConfig } from '@aws-sdk/client-cloudfront';

/** AWS managed policies (their ids are the same in every account). */
export const MANAGED_CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
export const MANAGED_CORS_WITH_PREFLIGHT = '5cc3b908-e619-4b99-88e5-2cf7f45965bd';

/** The tag every resource setup makes carries (value: the setup's name); how a rerun finds them. */
export const NAME_TAG = 'hlsgate:name';

export const ORIGIN_ID = 'hlsgate-s3';

/** What the user asked for. */
export interface Wanted {
  bucket: string;
  region: string;
  /** Names (and tags) every resource: `hlsgate-<bucket>` by default. */
  name: string;
  /** The public key's PEM (SPKI). */
  publicKeyPem: string;
  /** App origins allowed by CORS (a policy of our own); empty: the managed CORS policy. */
  appOrigins: string[];
  /** CORS with credentials (signed cookies); needs appOrigins. */
  cookies: boolean;
}

export const BLOCK_ALL_PUBLIC_ACCESS = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } as const;

/** The bucket's regional REST domain, the origin CloudFront reads with OAC. */
export function bucketRegionalDomain(bucket: string, region: string): string {
  return `${bucket}.s3.${region}.amazonaws.com`;
}

/** Whether an origin domain is this bucket's S3 REST endpoint (global or regional form, not the website endpoint). */
export function isBucketDomain(domain: string, bucket: string): boolean {
  const d = domain.toLowerCase();
  const b = bucket.toLowerCase();
  if (!d.startsWith(`${b}.s3`)) return false;
  const rest = d.slice(b.length + 3);
  return !rest.includes('website') && /^([.-][a-z0-9-]+)?\.amazonaws\.com$/.test(rest);
}

/** CloudFront keeps names to 128 characters of [A-Za-z0-9_-] for public keys and key groups. */
export function resourceName(name: string, suffix = ''): string {
  return `${name.replace(/[^A-Za-z0-9_-]/g, '-')}${suffix}`.slice(0, 128);
}

export function defaultName(bucket: string): string {
  return `hlsgate-${bucket}`;
}

export function publicKeyConfig(w: Wanted, callerReference: string): { CallerReference: string; Name: string; EncodedKey: string; Comment: string } {
  return { CallerReference: callerReference, Name: resourceName(w.name), EncodedKey: w.publicKeyPem, Comment: `${NAME_TAG}=${w.name}` };
}

export function keyGroupConfig(w: Wanted, keyIds: string[]): { Name: string; Items: string[]; Comment: string } {
  return { Name: resourceName(w.name), Items: keyIds, Comment: `${NAME_TAG}=${w.name}` };
}

export function originAccessControlConfig(w: Wanted): {
  Name: string;
  Description: string;
  SigningProtocol: 'sigv4';
  SigningBehavior: 'always';
  OriginAccessControlOriginType: 's3';
} {
  return {
    Name: resourceName(w.name),
    Description: `${NAME_TAG}=${w.name}`,
    SigningProtocol: 'sigv4',
    SigningBehavior: 'always',
    OriginAccessControlOriginType: 's3',
  };
}

/** Whether setup makes a CORS policy of its own (else it attaches the managed one). */
export function ownsCorsPolicy(w: Pick<Wanted, 'appOrigins' | 'cookies'>): boolean {
  return w.appOrigins.length > 0 || w.cookies;
}

const CORS_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/** The CORS response headers policy for exactly the app's origins. */
export function responseHeadersPolicyConfig(w: Wanted): ResponseHeadersPolicyConfig {
  if (w.cookies && w.appOrigins.length === 0) throw new Error('--cookies needs --app-origin (credentials cannot be allowed for any origin)');
  const origins = [...w.appOrigins].sort();
  return {
    Name: resourceName(w.name, '-cors').replace(/_/g, '-'),
    Comment: `${NAME_TAG}=${w.name}`,
    CorsConfig: {
      AccessControlAllowOrigins: { Quantity: origins.length, Items: origins },
      AccessControlAllowMethods: { Quantity: CORS_METHODS.length, Items: [...CORS_METHODS] },
      AccessControlAllowHeaders: { Quantity: 1, Items: ['Range'] },
      AccessControlExposeHeaders: { Quantity: 2, Items: ['Content-Length', 'Content-Range'] },
      AccessControlAllowCredentials: w.cookies,
      AccessControlMaxAgeSec: 600,
      OriginOverride: true,
    },
  };
}

/** The parts of a distribution setup decides (compared on a rerun). */
export interface DistributionWanted {
  originDomain: string;
  oacId: string;
  keyGroupId: string;
  responseHeadersPolicyId: string;
}

export function distributionConfig(w: Wanted, d: DistributionWanted, callerReference: string): DistributionConfig {
  return {
    CallerReference: callerReference,
    Comment: `${NAME_TAG}=${w.name}`,
    Enabled: true,
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: ORIGIN_ID,
          DomainName: d.originDomain,
          OriginPath: '',
          OriginAccessControlId: d.oacId,
          S3OriginConfig: { OriginAccessIdentity: '' },
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: ORIGIN_ID,
      ViewerProtocolPolicy: 'redirect-to-https',
      TrustedKeyGroups: { Enabled: true, Quantity: 1, Items: [d.keyGroupId] },
      CachePolicyId: MANAGED_CACHING_OPTIMIZED,
      ResponseHeadersPolicyId: d.responseHeadersPolicyId,
      Compress: true,
      AllowedMethods: { Quantity: 3, Items: [...CORS_METHODS], CachedMethods: { Quantity: 3, Items: [...CORS_METHODS] } },
    },
    HttpVersion: 'http2and3',
    IsIPV6Enabled: true,
    PriceClass: 'PriceClass_All',
  };
}

/**
 * What differs between a distribution's config and what setup wants: one short phrase each
 * (empty: nothing to update). Only the fields setup owns are compared.
 */
export function distributionDrift(current: DistributionConfig, d: DistributionWanted): string[] {
  const drift: string[] = [];
  const b = current.DefaultCacheBehavior;
  const origin = current.Origins?.Items?.find((o) => o.Id === b?.TargetOriginId);
  if (!current.Enabled) drift.push('disabled');
  if (!origin || origin.DomainName !== d.originDomain) drift.push(`origin is not ${d.originDomain}`);
  else if ((origin.OriginAccessControlId ?? '') !== d.oacId) drift.push('origin without the origin access control');
  if (!b) return [...drift, 'no default behaviour'];
  const groups = b.TrustedKeyGroups;
  if (!groups?.Enabled || !(groups.Items ?? []).includes(d.keyGroupId)) drift.push('default behaviour does not trust the key group');
  if (b.ViewerProtocolPolicy === 'allow-all') drift.push('viewer protocol allows http');
  if (b.CachePolicyId !== MANAGED_CACHING_OPTIMIZED) drift.push('cache policy is not Managed-CachingOptimized');
  if ((b.ResponseHeadersPolicyId ?? '') !== d.responseHeadersPolicyId) drift.push('CORS response headers policy differs');
  const allowed = new Set(b.AllowedMethods?.Items ?? []);
  const cached = new Set(b.AllowedMethods?.CachedMethods?.Items ?? []);
  if (!CORS_METHODS.every((m) => allowed.has(m) && cached.has(m))) drift.push('allowed or cached methods lack GET/HEAD/OPTIONS');
  if (!b.Compress) drift.push('compression off');
  return drift;
}

/** The distribution config with setup's fields put back (other settings kept), for UpdateDistribution. */
export function repairedDistribution(current: DistributionConfig, d: DistributionWanted, w: Wanted): DistributionConfig {
  const fresh = distributionConfig(w, d, current.CallerReference ?? '');
  const others = (current.Origins?.Items ?? []).filter((o) => o.Id !== ORIGIN_ID);
  const ours = fresh.Origins!.Items![0]!;
  const keep = current.DefaultCacheBehavior;
  return {
    ...current,
    Enabled: true,
    Origins: { Quantity: others.length + 1, Items: [...others, ours] },
    DefaultCacheBehavior: { ...keep, ...fresh.DefaultCacheBehavior!, ForwardedValues: undefined, MinTTL: undefined, DefaultTTL: undefined, MaxTTL: undefined },
  };
}

/** The bucket policy statement letting exactly this distribution read the bucket (the one CloudFront proposes for OAC). */
export function bucketPolicyStatement(bucket: string, distributionArn: string): PolicyStatement {
  return {
    Sid: 'AllowCloudFrontServicePrincipalReadOnly',
    Effect: 'Allow',
    Principal: { Service: 'cloudfront.amazonaws.com' },
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucket}/*`,
    Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
  };
}

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  [other: string]: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement?: PolicyStatement[] | PolicyStatement;
  [other: string]: unknown;
}

/** A bucket policy's JSON, or a fresh document when there is none. Throws on invalid JSON. */
export function parsePolicy(text: string | undefined): PolicyDocument {
  if (text === undefined || text.trim() === '') return { Version: '2012-10-17', Statement: [] };
  const doc = JSON.parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('the bucket policy is not a JSON object');
  return doc as PolicyDocument;
}

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function statementsOf(doc: PolicyDocument): PolicyStatement[] {
  return asList(doc.Statement);
}

/** Whether a statement allows the CloudFront service principal to GetObject in bucket, and for which SourceArns. */
export function cloudFrontReadArns(st: PolicyStatement, bucket: string): string[] | undefined {
  if (st.Effect !== 'Allow') return undefined;
  const principal = st.Principal as { Service?: string | string[] } | undefined;
  if (!asList(principal?.Service).includes('cloudfront.amazonaws.com')) return undefined;
  const actions = asList(st.Action);
  if (!actions.some((a) => a === 's3:GetObject' || a === 's3:*' || a === 's3:Get*')) return undefined;
  const resources = asList(st.Resource);
  if (!resources.some((r) => r === `arn:aws:s3:::${bucket}/*`)) return undefined;
  const cond = st.Condition ?? {};
  const arns = [...asList(cond.StringEquals?.['AWS:SourceArn']), ...asList(cond.ArnLike?.['AWS:SourceArn']), ...asList(cond.ArnEquals?.['AWS:SourceArn'])];
  return arns;
}

/** Whether the policy lets this distribution read the bucket. */
export function policyAllowsDistribution(doc: PolicyDocument, bucket: string, distributionArn: string): boolean {
  return statementsOf(doc).some((st) => cloudFrontReadArns(st, bucket)?.some((arn) => arn === distributionArn || (arn.endsWith('*') && distributionArn.startsWith(arn.slice(0, -1)))) ?? false);
}

/**
 * The policy with the distribution's read statement merged in, every other statement kept; undefined
 * when it already allows the distribution. A statement of ours (same Sid) for another distribution
 * is replaced.
 */
export function mergeBucketPolicy(existing: string | undefined, bucket: string, distributionArn: string): string | undefined {
  const doc = parsePolicy(existing);
  if (policyAllowsDistribution(doc, bucket, distributionArn)) return undefined;
  const ours = bucketPolicyStatement(bucket, distributionArn);
  const kept = statementsOf(doc).filter((st) => st.Sid !== ours.Sid);
  return JSON.stringify({ ...doc, Version: doc.Version ?? '2012-10-17', Statement: [...kept, ours] });
}
