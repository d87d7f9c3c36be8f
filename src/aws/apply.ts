// Performs a setup plan (plan.ts) in order, each step with the ids the earlier ones produced.
// Every call's failure is an AwsCallError naming the call, the resource and the permission.
import { createHash, randomUUID } from 'node:crypto';
import {
  CreateDistributionWithTagsCommand,
  CreateKeyGroupCommand,
  CreateOriginAccessControlCommand,
  CreatePublicKeyCommand,
  CreateResponseHeadersPolicyCommand,
  UpdateDistributionCommand,
  UpdateKeyGroupCommand,
  UpdateResponseHeadersPolicyCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { CreateBucketCommand, PutBucketPolicyCommand, PutBucketTaggingCommand, PutPublicAccessBlockCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import type { AwsClients } from './clients.js';
import { awsCall } from './errors.js';
import { regionOf, type SetupFacts, type Step } from './plan.js';
import {
  BLOCK_ALL_PUBLIC_ACCESS,
  bucketRegionalDomain,
  distributionConfig,
  keyGroupConfig,
  MANAGED_CORS_WITH_PREFLIGHT,
  mergeBucketPolicy,
  NAME_TAG,
  originAccessControlConfig,
  ownsCorsPolicy,
  publicKeyConfig,
  repairedDistribution,
  resourceName,
  responseHeadersPolicyConfig,
  type Wanted,
} from './resources.js';

/** What setup leaves behind: the service's variables come from it. */
export interface SetupResult {
  bucket: string;
  region: string;
  keyPairId: string;
  keyGroupId: string;
  distributionId: string;
  distributionArn: string;
  domainName: string;
  /** A distribution was created or updated (CloudFront deploys it for several minutes). */
  deploying: boolean;
}

/** The public key's name: the setup's name and a fingerprint, so another key gets another name. */
export function publicKeyName(w: Pick<Wanted, 'name' | 'publicKeyPem'>, der: string | undefined): string {
  const print = createHash('sha256')
    .update(der ?? w.publicKeyPem)
    .digest('hex')
    .slice(0, 8);
  return resourceName(w.name.slice(0, 110), `-${print}`);
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new Error(`the AWS answer lacked ${what}`);
  return value;
}

export async function applySetup(c: AwsClients, facts: SetupFacts, w: Wanted, steps: Step[], keyName: string): Promise<SetupResult> {
  const cf = c.cloudfront;
  const region = regionOf(facts, w);
  const step = (resource: Step['resource']): Step => {
    const s = steps.find((x) => x.resource === resource);
    if (!s) throw new Error(`the plan has no ${resource} step`);
    return s;
  };
  const bucketRes = `bucket "${w.bucket}"`;

  if (step('bucket').action === 'create') {
    await awsCall('s3:CreateBucket', bucketRes, () =>
      c.s3.send(
        new CreateBucketCommand({
          Bucket: w.bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      ),
    );
    await awsCall('s3:PutBucketTagging', bucketRes, () => c.s3.send(new PutBucketTaggingCommand({ Bucket: w.bucket, Tagging: { TagSet: [{ Key: NAME_TAG, Value: w.name }] } })));
  }
  if (step('public-access-block').action !== 'exists') {
    await awsCall('s3:PutPublicAccessBlock', bucketRes, () => c.s3.send(new PutPublicAccessBlockCommand({ Bucket: w.bucket, PublicAccessBlockConfiguration: { ...BLOCK_ALL_PUBLIC_ACCESS } })));
  }

  let keyPairId = facts.publicKey?.id;
  if (step('public-key').action === 'create') {
    const made = await awsCall('cloudfront:CreatePublicKey', `public key "${keyName}"`, () =>
      cf.send(new CreatePublicKeyCommand({ PublicKeyConfig: { ...publicKeyConfig(w, randomUUID()), Name: keyName } })),
    );
    keyPairId = need(made.PublicKey?.Id, 'the public key id');
  }
  const keyId = need(keyPairId, 'the public key id');

  let keyGroupId = facts.keyGroup?.id;
  const groupStep = step('key-group');
  if (groupStep.action === 'create') {
    const made = await awsCall('cloudfront:CreateKeyGroup', `key group "${resourceName(w.name)}"`, () => cf.send(new CreateKeyGroupCommand({ KeyGroupConfig: keyGroupConfig(w, [keyId]) })));
    keyGroupId = need(made.KeyGroup?.Id, 'the key group id');
  } else if (groupStep.action === 'update' && facts.keyGroup) {
    const g = facts.keyGroup;
    // Keep the keys already there (a rotation in progress); a key group holds at most 5.
    const items = [...g.items.filter((k) => k !== keyId).slice(-4), keyId];
    await awsCall('cloudfront:UpdateKeyGroup', `key group "${g.name}"`, () =>
      cf.send(new UpdateKeyGroupCommand({ Id: g.id, IfMatch: g.etag, KeyGroupConfig: { ...keyGroupConfig(w, items), ...(g.comment ? { Comment: g.comment } : {}) } })),
    );
  }
  const groupId = need(keyGroupId, 'the key group id');

  let oacId = facts.oac?.id;
  if (step('origin-access-control').action === 'create') {
    const made = await awsCall('cloudfront:CreateOriginAccessControl', `origin access control "${resourceName(w.name)}"`, () =>
      cf.send(new CreateOriginAccessControlCommand({ OriginAccessControlConfig: originAccessControlConfig(w) })),
    );
    oacId = need(made.OriginAccessControl?.Id, 'the origin access control id');
  }

  let corsId: string | undefined = MANAGED_CORS_WITH_PREFLIGHT;
  if (ownsCorsPolicy(w)) {
    const config = responseHeadersPolicyConfig(w);
    const res = `response headers policy "${config.Name ?? ''}"`;
    const corsStep = step('cors-policy');
    corsId = facts.corsPolicy?.id;
    if (corsStep.action === 'create') {
      const made = await awsCall('cloudfront:CreateResponseHeadersPolicy', res, () => cf.send(new CreateResponseHeadersPolicyCommand({ ResponseHeadersPolicyConfig: config })));
      corsId = need(made.ResponseHeadersPolicy?.Id, 'the response headers policy id');
    } else if (corsStep.action === 'update' && facts.corsPolicy) {
      const p = facts.corsPolicy;
      await awsCall('cloudfront:UpdateResponseHeadersPolicy', res, () => cf.send(new UpdateResponseHeadersPolicyCommand({ Id: p.id, IfMatch: p.etag, ResponseHeadersPolicyConfig: config })));
    }
  }

  const wantedDist = {
    originDomain: bucketRegionalDomain(w.bucket, region),
    oacId: need(oacId, 'the origin access control id'),
    keyGroupId: groupId,
    responseHeadersPolicyId: need(corsId, 'the response headers policy id'),
  };
  let dist = facts.distribution;
  const distStep = step('distribution');
  if (distStep.action === 'create') {
    const config: DistributionConfig = distributionConfig(w, wantedDist, randomUUID());
    const made = await awsCall('cloudfront:CreateDistributionWithTags', `distribution "${w.name}"`, () =>
      cf.send(new CreateDistributionWithTagsCommand({ DistributionConfigWithTags: { DistributionConfig: config, Tags: { Items: [{ Key: NAME_TAG, Value: w.name }] } } })),
    );
    const d = made.Distribution;
    dist = { id: need(d?.Id, 'the distribution id'), arn: need(d?.ARN, 'the distribution ARN'), domainName: need(d?.DomainName, 'the distribution domain'), etag: made.ETag ?? '', config };
  } else if (distStep.action === 'update' && dist) {
    const current = dist;
    const config = repairedDistribution(current.config, wantedDist, w);
    await awsCall('cloudfront:UpdateDistribution', `distribution ${current.id}`, () => cf.send(new UpdateDistributionCommand({ Id: current.id, IfMatch: current.etag, DistributionConfig: config })));
  }
  const d = need(dist, 'the distribution');

  if (step('bucket-policy').action !== 'exists') {
    const existing = facts.bucket.exists ? facts.bucket.policy : undefined;
    const merged = mergeBucketPolicy(existing, w.bucket, d.arn);
    if (merged !== undefined) await awsCall('s3:PutBucketPolicy', bucketRes, () => c.s3.send(new PutBucketPolicyCommand({ Bucket: w.bucket, Policy: merged })));
  }

  return {
    bucket: w.bucket,
    region,
    keyPairId: keyId,
    keyGroupId: groupId,
    distributionId: d.id,
    distributionArn: d.arn,
    domainName: d.domainName,
    deploying: distStep.action !== 'exists',
  };
}
