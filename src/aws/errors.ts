// One-line errors for AWS calls: the call, the resource, and (for a refusal) the IAM permission it
// needs, e.g. `cloudfront:CreateKeyGroup on key group "hlsgate-b": AccessDenied (the credentials
// lack the permission cloudfront:CreateKeyGroup)`.

/** IAM actions of the API calls whose names differ from their permission (the rest: service:Call). */
const PERMISSION: Readonly<Record<string, string>> = {
  's3:HeadBucket': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3:CreateMultipartUpload': 's3:PutObject',
  's3:UploadPart': 's3:PutObject',
  's3:CompleteMultipartUpload': 's3:PutObject',
  'cloudfront:CreateDistributionWithTags': 'cloudfront:CreateDistribution and cloudfront:TagResource',
  'cloudfront:ListTagsForResource': 'cloudfront:ListTagsForResource',
};

/** The IAM permission an API call (`s3:PutBucketPolicy`) needs. */
export function permissionFor(call: string): string {
  return PERMISSION[call] ?? call;
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden', 'UnauthorizedOperation', 'AllAccessDisabled']);
const CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidClientTokenId', 'UnrecognizedClientException', 'CredentialsProviderError', 'InvalidToken']);

interface SdkError {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The AWS error code of an SDK error (`AccessDenied`, `NoSuchBucket`, ...), or its name. */
export function errorCode(err: unknown): string {
  const e = (err ?? {}) as SdkError;
  for (const c of [e.Code, e.name, e.code]) if (typeof c === 'string' && c !== '' && c !== 'Error') return c;
  return 'Error';
}

export function httpStatus(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

/** A failed AWS call; `message` is one line naming the call, the resource and what to do. */
export class AwsCallError extends Error {
  override name = 'AwsCallError';
  readonly call: string;
  readonly code: string;
  constructor(call: string, resource: string, cause: unknown) {
    super(describeFailure(call, resource, cause), { cause });
    this.call = call;
    this.code = errorCode(cause);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 240);
}

/** `<call> on <resource>: <code> (<why, what to do>)`. */
export function describeFailure(call: string, resource: string, err: unknown): string {
  const code = errorCode(err);
  const status = httpStatus(err);
  const raw = (err as SdkError | null)?.message;
  const message = typeof raw === 'string' ? oneLine(raw) : '';
  let why: string;
  if (DENIED.has(code) || status === 403) why = `the credentials lack the permission ${permissionFor(call)}`;
  else if (CREDENTIALS.has(code)) why = 'no valid AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket hang up/i.test(`${code} ${message}`)) why = 'cannot reach the AWS endpoint (network, or AWS_ENDPOINT_URL)';
  else why = message && message !== code ? message : `HTTP ${status ?? '?'}`;
  return `${call} on ${resource}: ${code} (${why})`;
}

/** Runs one AWS call, turning its failure into an AwsCallError. */
export async function awsCall<T>(call: string, resource: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AwsCallError) throw err;
    throw new AwsCallError(call, resource, err);
  }
}

/** Whether err is a "not found" answer (404 or a NoSuch*). */
export function isNotFound(err: unknown): boolean {
  const cause = err instanceof AwsCallError ? err.cause : err;
  const code = errorCode(cause);
  return httpStatus(cause) === 404 || code.startsWith('NoSuch') || code === 'NotFound';
}
