// The pure parts of the AWS commands, table-driven: resource builders, bucket policy merging, the
// setup plan, error lines, and doctor's control-plane checks on configs shaped like AWS's answers.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cloudFormationTemplate } from '../../src/aws/cloudformation.js';
import { behaviorFor, controlPlaneChecks, pathPatternMatches, type ControlPlaneFacts } from '../../src/aws/doctor-checks.js';
import { describeFailure } from '../../src/aws/errors.js';
import { changes, planSetup, type SetupFacts } from '../../src/aws/plan.js';
import {
  bucketPolicyStatement,
  distributionConfig,
  distributionDrift,
  isBucketDomain,
  MANAGED_CORS_WITH_PREFLIGHT,
  mergeBucketPolicy,
  policyAllowsDistribution,
  parsePolicy,
  responseHeadersPolicyConfig,
  type Wanted,
} from '../../src/aws/resources.js';
import { ladderFor } from '../../src/cli/transcode.js';
import { awsShapedConfig, BUCKET, DIST_ARN, DIST_ID, GROUP_ID, KEY_ID, OAC_ID } from './fixtures.js';

const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const wanted: Wanted = { bucket: BUCKET, region: 'eu-west-1', name: 'hlsgate-my-videos', publicKeyPem: pem, appOrigins: [], cookies: false };

describe('resource builders', () => {
  it.each([
    ['my-videos.s3.eu-west-1.amazonaws.com', true],
    ['my-videos.s3.amazonaws.com', true],
    ['my-videos.s3-eu-west-1.amazonaws.com', true],
    ['my-videos.s3-website-eu-west-1.amazonaws.com', false],
    ['other.s3.eu-west-1.amazonaws.com', false],
    ['my-videos-2.s3.eu-west-1.amazonaws.com', false],
    ['my-videos.example.com', false],
  ])('isBucketDomain(%s) = %s', (domain, expected) => {
    expect(isBucketDomain(domain, BUCKET)).toBe(expected);
  });

  it('the distribution: bucket origin with OAC, signed default behaviour, CachingOptimized, GET/HEAD/OPTIONS, compression, CORS', () => {
    const d = distributionConfig(wanted, { originDomain: 'my-videos.s3.eu-west-1.amazonaws.com', oacId: OAC_ID, keyGroupId: GROUP_ID, responseHeadersPolicyId: MANAGED_CORS_WITH_PREFLIGHT }, 'ref');
    expect(d.Origins?.Items?.[0]).toMatchObject({ DomainName: 'my-videos.s3.eu-west-1.amazonaws.com', OriginAccessControlId: OAC_ID, S3OriginConfig: { OriginAccessIdentity: '' } });
    expect(d.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      TrustedKeyGroups: { Enabled: true, Quantity: 1, Items: [GROUP_ID] },
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      ResponseHeadersPolicyId: MANAGED_CORS_WITH_PREFLIGHT,
      Compress: true,
      AllowedMethods: { Items: ['GET', 'HEAD', 'OPTIONS'], CachedMethods: { Items: ['GET', 'HEAD', 'OPTIONS'] } },
    });
    expect(distributionDrift(d, { originDomain: 'my-videos.s3.eu-west-1.amazonaws.com', oacId: OAC_ID, keyGroupId: GROUP_ID, responseHeadersPolicyId: MANAGED_CORS_WITH_PREFLIGHT })).toEqual([]);
  });

  it.each([
    ['no OAC on the origin', (c: ReturnType<typeof awsShapedConfig>) => void (c.Origins!.Items![0]!.OriginAccessControlId = ''), 'origin without the origin access control'],
    ['another key group', (c: ReturnType<typeof awsShapedConfig>) => void (c.DefaultCacheBehavior!.TrustedKeyGroups = { Enabled: true, Quantity: 1, Items: ['other'] }), 'does not trust the key group'],
    ['http allowed', (c: ReturnType<typeof awsShapedConfig>) => void (c.DefaultCacheBehavior!.ViewerProtocolPolicy = 'allow-all'), 'allows http'],
    ['no CORS policy', (c: ReturnType<typeof awsShapedConfig>) => void (c.DefaultCacheBehavior!.ResponseHeadersPolicyId = ''), 'CORS'],
    ['OPTIONS not cached', (c: ReturnType<typeof awsShapedConfig>) => void (c.DefaultCacheBehavior!.AllowedMethods!.CachedMethods = { Quantity: 2, Items: ['GET', 'HEAD'] }), 'methods'],
  ])('distributionDrift names %s', (_name, breakIt, phrase) => {
    const c = awsShapedConfig();
    breakIt(c);
    const want = { originDomain: 'my-videos.s3.eu-west-1.amazonaws.com', oacId: OAC_ID, keyGroupId: GROUP_ID, responseHeadersPolicyId: MANAGED_CORS_WITH_PREFLIGHT };
    expect(distributionDrift(awsShapedConfig(), want)).toEqual([]);
    expect(distributionDrift(c, want).join('; ')).toContain(phrase);
  });

  it.each([
    [{ appOrigins: ['https://learn.example.com'], cookies: false }, false],
    [{ appOrigins: ['https://b.example.com', 'https://a.example.com'], cookies: true }, true],
  ])('the CORS policy for %o: exactly those origins, GET/HEAD/OPTIONS, Range, exposed lengths, credentials %s', (o, credentials) => {
    const c = responseHeadersPolicyConfig({ ...wanted, ...o }).CorsConfig!;
    expect(c.AccessControlAllowOrigins?.Items).toEqual([...o.appOrigins].sort());
    expect(c.AccessControlAllowMethods?.Items).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(c.AccessControlAllowHeaders?.Items).toEqual(['Range']);
    expect(c.AccessControlExposeHeaders?.Items).toEqual(['Content-Length', 'Content-Range']);
    expect(c.AccessControlAllowCredentials).toBe(credentials);
  });

  it('refuses credentials for any origin', () => {
    expect(() => responseHeadersPolicyConfig({ ...wanted, cookies: true })).toThrow(/--app-origin/);
  });

  it('the CloudFormation template holds the same resources', () => {
    const t = cloudFormationTemplate({ ...wanted, appOrigins: ['https://learn.example.com'] }, 'hlsgate-my-videos-abc') as { Resources: Record<string, { Type: string }> };
    expect(Object.values(t.Resources).map((r) => r.Type).sort()).toEqual(
      [
        'AWS::CloudFront::Distribution',
        'AWS::CloudFront::KeyGroup',
        'AWS::CloudFront::OriginAccessControl',
        'AWS::CloudFront::PublicKey',
        'AWS::CloudFront::ResponseHeadersPolicy',
        'AWS::S3::Bucket',
        'AWS::S3::BucketPolicy',
      ].sort(),
    );
    expect(JSON.stringify(t)).toContain('"OriginAccessControlId":{"Fn::GetAtt":["OriginAccessControl","Id"]}');
  });
});

describe('bucket policy merge', () => {
  const other = { Sid: 'KeepMe', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/etl' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/*` };
  it.each([
    ['no policy', undefined, 1],
    ['a policy with another statement', JSON.stringify({ Version: '2012-10-17', Statement: [other] }), 2],
    ['a single statement object', JSON.stringify({ Version: '2012-10-17', Statement: other }), 2],
    ['our statement for an old distribution', JSON.stringify({ Version: '2012-10-17', Statement: [other, bucketPolicyStatement(BUCKET, 'arn:aws:cloudfront::1:distribution/OLD')] }), 2],
  ])('%s: merged, other statements kept', (_n, existing, count) => {
    const merged = mergeBucketPolicy(existing, BUCKET, DIST_ARN);
    expect(merged).toBeDefined();
    const doc = parsePolicy(merged);
    expect(doc.Statement).toHaveLength(count);
    expect(policyAllowsDistribution(doc, BUCKET, DIST_ARN)).toBe(true);
    if (count === 2) expect(JSON.stringify(doc)).toContain('KeepMe');
  });
  it('already allowing: no change', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [other, bucketPolicyStatement(BUCKET, DIST_ARN)] });
    expect(mergeBucketPolicy(text, BUCKET, DIST_ARN)).toBeUndefined();
  });
});

describe('setup plan', () => {
  const everything: SetupFacts = {
    bucket: { exists: true, region: 'eu-west-1', publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }, policy: JSON.stringify({ Statement: [bucketPolicyStatement(BUCKET, DIST_ARN)] }) },
    publicKey: { id: KEY_ID, name: 'k' },
    keyGroup: { id: GROUP_ID, etag: 'E1', name: 'hlsgate-my-videos', items: [KEY_ID] },
    oac: { id: OAC_ID, name: 'hlsgate-my-videos' },
    distribution: { id: DIST_ID, arn: DIST_ARN, domainName: 'd111.cloudfront.net', etag: 'E2', config: awsShapedConfig() },
  };
  it('nothing exists: every step creates (the managed CORS policy exists)', () => {
    const steps = planSetup({ bucket: { exists: false } }, wanted, 'k');
    expect(steps.map((s) => `${s.resource}:${s.action}`)).toEqual([
      'bucket:create',
      'public-access-block:create',
      'public-key:create',
      'key-group:create',
      'origin-access-control:create',
      'cors-policy:exists',
      'distribution:create',
      'bucket-policy:create',
    ]);
  });
  it('everything as wanted: no changes', () => {
    expect(changes(planSetup(everything, wanted, 'k'))).toBe(0);
  });
  it.each([
    ['a key group without the key', { ...everything, keyGroup: { ...everything.keyGroup!, items: ['KOTHER'] } }, 'key-group', 'update'],
    ['public access partly open', { ...everything, bucket: { ...everything.bucket, publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: true } } }, 'public-access-block', 'update'],
    ['no bucket policy', { ...everything, bucket: { exists: true as const, region: 'eu-west-1', publicAccessBlock: everything.bucket.exists ? everything.bucket.publicAccessBlock : {} } }, 'bucket-policy', 'create'],
    ['a new key', { ...everything, publicKey: undefined }, 'public-key', 'create'],
    ['an OAC to create', { ...everything, oac: undefined }, 'distribution', 'update'],
  ])('%s', (_n, facts, resource, action) => {
    const steps = planSetup(facts, wanted, 'k');
    expect(steps.find((s) => s.resource === resource)?.action).toBe(action);
  });
});

describe('doctor control-plane checks on AWS-shaped configs', () => {
  const der = 'DER';
  const base = (): ControlPlaneFacts => ({
    keyPairId: KEY_ID,
    privateKeyPublicDer: der,
    cloudFrontKey: { found: true, der },
    cdnHost: 'd111.cloudfront.net',
    distribution: { id: DIST_ID, arn: DIST_ARN, domainName: 'd111.cloudfront.net', aliases: ['media.example.com'], config: awsShapedConfig() },
    keyGroups: { [GROUP_ID]: { name: 'hlsgate-my-videos', items: [KEY_ID] } },
    videoKeys: ['videos/intro/master.m3u8'],
    bucket: BUCKET,
    publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    bucketPolicy: JSON.stringify({ Version: '2012-10-17', Statement: [bucketPolicyStatement(BUCKET, DIST_ARN)] }),
  });
  const status = (f: ControlPlaneFacts): Record<string, string> => Object.fromEntries(controlPlaneChecks(f).map((c) => [c.id, c.status]));

  it('all ok on what setup makes (OAC origin, managed CORS attached)', () => {
    const checks = controlPlaneChecks(base());
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(['key', 'distribution', 'trust', 'origin', 'public-access', 'bucket-policy', 'cors']);
  });

  it.each<[string, (f: ControlPlaneFacts) => void, string, string, RegExp]>([
    ['the origin has no OAC', (f) => void (f.distribution!.config.Origins!.Items![0]!.OriginAccessControlId = ''), 'origin', 'FAIL', /no origin access control/],
    ['a legacy OAI', (f) => void Object.assign(f.distribution!.config.Origins!.Items![0]!, { OriginAccessControlId: '', S3OriginConfig: { OriginAccessIdentity: 'origin-access-identity/cloudfront/E127EXAMPLE51Z' } }), 'origin', 'warn', /legacy/],
    ['no response headers policy', (f) => void (f.distribution!.config.DefaultCacheBehavior!.ResponseHeadersPolicyId = ''), 'cors', 'warn', /CORS/],
    ['another origin', (f) => void (f.distribution!.config.Origins!.Items![0]!.DomainName = 'other.s3.eu-west-1.amazonaws.com'), 'origin', 'FAIL', /not bucket my-videos/],
    ['the key is not in the group', (f) => void (f.keyGroups[GROUP_ID] = { name: 'g', items: ['KOTHER'] }), 'trust', 'FAIL', /not in the key group/],
    ['no trusted key groups', (f) => void (f.distribution!.config.DefaultCacheBehavior!.TrustedKeyGroups = { Enabled: false, Quantity: 0 }), 'trust', 'FAIL', /does not restrict viewer access/],
    ['a mismatched key', (f) => void (f.cloudFrontKey = { found: true, der: 'OTHER' }), 'key', 'FAIL', /not the public half/],
    ['an unknown key id', (f) => void (f.cloudFrontKey = { found: false }), 'key', 'FAIL', /no public key/],
    ['public access open', (f) => void (f.publicAccessBlock = undefined), 'public-access', 'FAIL', /does not block public access/],
    ['no bucket policy', (f) => void (f.bucketPolicy = undefined), 'bucket-policy', 'FAIL', /no bucket policy/],
    ['a policy for another distribution', (f) => void (f.bucketPolicy = JSON.stringify({ Statement: [bucketPolicyStatement(BUCKET, 'arn:aws:cloudfront::1:distribution/OTHER')] })), 'bucket-policy', 'FAIL', /does not let/],
  ])('%s', (_n, breakIt, id, expected, message) => {
    const f = base();
    breakIt(f);
    expect(status(f)[id]).toBe(expected);
    const check = controlPlaneChecks(f).find((c) => c.id === id && c.status === expected)!;
    expect(check.message).toMatch(message);
    expect(check.fix).toBeTruthy();
    expect(status(base())[id]).toBe('ok');
  });

  it('no distribution for the host: FAIL with the fix', () => {
    const f = base();
    delete f.distribution;
    const d = controlPlaneChecks(f).find((c) => c.id === 'distribution')!;
    expect(d.status).toBe('FAIL');
    expect(d.message).toContain('no distribution serves d111.cloudfront.net');
  });

  it('a cache behaviour serving the videos is the one checked', () => {
    const f = base();
    f.distribution!.config.CacheBehaviors = {
      Quantity: 1,
      Items: [{ ...f.distribution!.config.DefaultCacheBehavior!, PathPattern: 'videos/*', TrustedKeyGroups: { Enabled: false, Quantity: 0 } }],
    };
    expect(behaviorFor(f.distribution!.config, '/videos/intro/master.m3u8')).toMatchObject({ PathPattern: 'videos/*' });
    expect(status(f).trust).toBe('FAIL');
  });

  it.each([
    ['videos/*', '/videos/a/b.ts', true],
    ['/videos/*.m3u8', '/videos/a/b.ts', false],
    ['v?/*', '/v1/x', true],
    ['*', '/anything', true],
  ])('path pattern %s matches %s: %s', (p, path, expected) => {
    expect(pathPatternMatches(p, path)).toBe(expected);
  });
});

describe('error lines', () => {
  it.each([
    ['cloudfront:CreateKeyGroup', 'key group "hlsgate-b"', { name: 'AccessDenied', message: 'User: arn:aws:iam::1:user/x is not authorized', $metadata: { httpStatusCode: 403 } }, /^cloudfront:CreateKeyGroup on key group "hlsgate-b": AccessDenied \(the credentials lack the permission cloudfront:CreateKeyGroup\)$/],
    ['s3:PutPublicAccessBlock', 'bucket "b"', { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, /lack the permission s3:PutBucketPublicAccessBlock/],
    ['s3:HeadBucket', 'bucket "b"', { name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } }, /lack the permission s3:ListBucket/],
    ['cloudfront:ListDistributions', 'distributions', { name: 'CredentialsProviderError', message: 'Could not load credentials' }, /no valid AWS credentials/],
  ])('%s', (call, resource, err, expected) => {
    const line = describeFailure(call, resource, Object.assign(new Error(String((err as { message?: string }).message ?? '')), err));
    expect(line).toMatch(expected);
    expect(line).not.toContain('\n');
  });
});

describe('transcode ladder', () => {
  it.each([
    [2160, [360, 720, 1080]],
    [1080, [360, 720, 1080]],
    [720, [360, 720]],
    [480, [360]],
    [240, [240]],
  ])('a %ip source gets %o', (h, heights) => {
    expect(ladderFor(h).map((r) => r.height)).toEqual(heights);
  });
});
