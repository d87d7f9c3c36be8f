// The SDK clients of the AWS commands. Endpoints come from the SDK's own configuration
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, ..., or a profile's endpoint_url), credentials from the
// standard chain. A custom S3 endpoint (MinIO, moto, LocalStack) gets path-style addressing.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { S3Client } from '@aws-sdk/client-s3';

export interface AwsClients {
  s3: S3Client;
  cloudfront: CloudFrontClient;
  /** The bucket's region (the S3 client's). */
  region: string;
}

export function createAwsClients(region: string, env: Record<string, string | undefined>): AwsClients {
  const customS3 = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return {
    s3: new S3Client({ region, forcePathStyle: customS3, maxAttempts: 3 }),
    // CloudFront is a global service, signed for us-east-1.
    cloudfront: new CloudFrontClient({ region: 'us-east-1', maxAttempts: 3 }),
    region,
  };
}

export function destroyClients(c: AwsClients): void {
  c.s3.destroy();
  c.cloudfront.destroy();
}
