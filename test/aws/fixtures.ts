// A distribution config shaped like a real GetDistributionConfig answer from AWS (as the SDK parses
// it; field set and nesting as in the CloudFront API reference's DistributionConfig), for the checks
// moto cannot show: it drops OriginAccessControlId and has no response headers policies.
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';

export const KEY_ID = 'K2JCJMDEHXQW5F';
export const GROUP_ID = '4b4f2e3a-9e5c-4b8a-a1d3-0c8e6f0a1b2c';
export const OAC_ID = 'E1ABCDEFGHIJKL';
export const DIST_ID = 'E2QWRUHAPOMQZL';
export const DIST_ARN = `arn:aws:cloudfront::123456789012:distribution/${DIST_ID}`;
export const BUCKET = 'my-videos';

export function awsShapedConfig(): DistributionConfig {
  return {
    CallerReference: 'hlsgate-3f1c2f2e',
    Aliases: { Quantity: 1, Items: ['media.example.com'] },
    DefaultRootObject: '',
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: 'hlsgate-s3',
          DomainName: `${BUCKET}.s3.eu-west-1.amazonaws.com`,
          OriginPath: '',
          CustomHeaders: { Quantity: 0 },
          S3OriginConfig: { OriginAccessIdentity: '', OriginReadTimeout: 30 },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: false },
          OriginAccessControlId: OAC_ID,
        },
      ],
    },
    OriginGroups: { Quantity: 0 },
    DefaultCacheBehavior: {
      TargetOriginId: 'hlsgate-s3',
      TrustedSigners: { Enabled: false, Quantity: 0 },
      TrustedKeyGroups: { Enabled: true, Quantity: 1, Items: [GROUP_ID] },
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: { Quantity: 3, Items: ['HEAD', 'GET', 'OPTIONS'], CachedMethods: { Quantity: 3, Items: ['HEAD', 'GET', 'OPTIONS'] } },
      SmoothStreaming: false,
      Compress: true,
      LambdaFunctionAssociations: { Quantity: 0 },
      FunctionAssociations: { Quantity: 0 },
      FieldLevelEncryptionId: '',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      ResponseHeadersPolicyId: '5cc3b908-e619-4b99-88e5-2cf7f45965bd',
      GrpcConfig: { Enabled: false },
    },
    CacheBehaviors: { Quantity: 0 },
    CustomErrorResponses: { Quantity: 0 },
    Comment: 'hlsgate:name=hlsgate-my-videos',
    Logging: { Enabled: false, IncludeCookies: false, Bucket: '', Prefix: '' },
    PriceClass: 'PriceClass_All',
    Enabled: true,
    ViewerCertificate: { CloudFrontDefaultCertificate: true, SSLSupportMethod: 'vip', MinimumProtocolVersion: 'TLSv1', CertificateSource: 'cloudfront' },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    WebACLId: '',
    HttpVersion: 'http2and3',
    IsIPV6Enabled: true,
    ContinuousDeploymentPolicyId: '',
    Staging: false,
  };
}
