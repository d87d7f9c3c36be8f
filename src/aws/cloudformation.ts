// `aws setup --print-cloudformation`: the same resources as a CloudFormation template, for teams
// that keep infrastructure as code. Pure.
import {
  BLOCK_ALL_PUBLIC_ACCESS,
  keyGroupConfig,
  MANAGED_CACHING_OPTIMIZED,
  MANAGED_CORS_WITH_PREFLIGHT,
  NAME_TAG,
  ORIGIN_ID,
  originAccessControlConfig,
  ownsCorsPolicy,
  resourceName,
  responseHeadersPolicyConfig,
  type Wanted,
} from './resources.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };

/** CloudFormation's form of a CloudFront list: the items alone. */
function items(list: { Items?: string[] } | undefined): string[] {
  return [...(list?.Items ?? [])];
}

export function cloudFormationTemplate(w: Wanted, keyName: string): Record<string, Json> {
  const tag = [{ Key: NAME_TAG, Value: w.name }];
  const resources: Record<string, Json> = {
    Bucket: {
      Type: 'AWS::S3::Bucket',
      Properties: { BucketName: w.bucket, PublicAccessBlockConfiguration: { ...BLOCK_ALL_PUBLIC_ACCESS }, Tags: tag },
    },
    PublicKey: {
      Type: 'AWS::CloudFront::PublicKey',
      Properties: { PublicKeyConfig: { CallerReference: keyName, Name: keyName, EncodedKey: w.publicKeyPem, Comment: `${NAME_TAG}=${w.name}` } },
    },
    KeyGroup: {
      Type: 'AWS::CloudFront::KeyGroup',
      Properties: { KeyGroupConfig: { ...keyGroupConfig(w, []), Items: [{ Ref: 'PublicKey' }] } },
    },
    OriginAccessControl: {
      Type: 'AWS::CloudFront::OriginAccessControl',
      Properties: { OriginAccessControlConfig: originAccessControlConfig(w) },
    },
  };
  let cors: Json = MANAGED_CORS_WITH_PREFLIGHT;
  if (ownsCorsPolicy(w)) {
    const p = responseHeadersPolicyConfig(w);
    const c = p.CorsConfig!;
    resources.CorsPolicy = {
      Type: 'AWS::CloudFront::ResponseHeadersPolicy',
      Properties: {
        ResponseHeadersPolicyConfig: {
          Name: p.Name ?? resourceName(w.name, '-cors'),
          Comment: p.Comment ?? '',
          CorsConfig: {
            AccessControlAllowOrigins: { Items: items(c.AccessControlAllowOrigins) },
            AccessControlAllowMethods: { Items: items(c.AccessControlAllowMethods) },
            AccessControlAllowHeaders: { Items: items(c.AccessControlAllowHeaders) },
            AccessControlExposeHeaders: { Items: items(c.AccessControlExposeHeaders) },
            AccessControlAllowCredentials: c.AccessControlAllowCredentials ?? false,
            AccessControlMaxAgeSec: c.AccessControlMaxAgeSec ?? 600,
            OriginOverride: c.OriginOverride ?? true,
          },
        },
      },
    };
    cors = { Ref: 'CorsPolicy' };
  }
  const methods = ['GET', 'HEAD', 'OPTIONS'];
  resources.Distribution = {
    Type: 'AWS::CloudFront::Distribution',
    Properties: {
      Tags: tag,
      DistributionConfig: {
        Comment: `${NAME_TAG}=${w.name}`,
        Enabled: true,
        HttpVersion: 'http2and3',
        IPV6Enabled: true,
        Origins: [
          {
            Id: ORIGIN_ID,
            DomainName: { 'Fn::GetAtt': ['Bucket', 'RegionalDomainName'] },
            OriginAccessControlId: { 'Fn::GetAtt': ['OriginAccessControl', 'Id'] },
            S3OriginConfig: { OriginAccessIdentity: '' },
          },
        ],
        DefaultCacheBehavior: {
          TargetOriginId: ORIGIN_ID,
          ViewerProtocolPolicy: 'redirect-to-https',
          TrustedKeyGroups: [{ Ref: 'KeyGroup' }],
          CachePolicyId: MANAGED_CACHING_OPTIMIZED,
          ResponseHeadersPolicyId: cors,
          Compress: true,
          AllowedMethods: methods,
          CachedMethods: methods,
        },
      },
    },
  };
  resources.BucketPolicy = {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: 'Bucket' },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AllowCloudFrontServicePrincipalReadOnly',
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: { 'Fn::Sub': 'arn:aws:s3:::${Bucket}/*' },
            Condition: { StringEquals: { 'AWS:SourceArn': { 'Fn::Sub': 'arn:aws:cloudfront::${AWS::AccountId}:distribution/${Distribution}' } } },
          },
        ],
      },
    },
  };
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `hlsgate: private HLS video from ${w.bucket} through CloudFront signed URLs (${w.name})`,
    Resources: resources,
    Outputs: {
      S3Bucket: { Value: { Ref: 'Bucket' } },
      CdnBaseUrl: { Value: { 'Fn::Sub': 'https://${Distribution.DomainName}' } },
      CloudFrontKeyPairId: { Value: { Ref: 'PublicKey' } },
    },
  };
}
