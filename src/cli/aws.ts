// `hlsgate aws setup --bucket B [...]`: creates what is missing (bucket, public key, key group,
// origin access control, CORS policy, distribution, bucket policy) and reuses what exists. The
// work is in src/aws/ (discover -> plan -> apply); this module reads the flags, the key pair and
// prints. `createAwsCommand` takes the client factory so tests can watch the requests.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applySetup, publicKeyName, type SetupResult } from '../aws/apply.js';
import { createAwsClients, destroyClients, type AwsClients } from '../aws/clients.js';
import { cloudFormationTemplate } from '../aws/cloudformation.js';
import { discoverSetup, keyDer } from '../aws/discover.js';
import { AwsCallError } from '../aws/errors.js';
import { changes, planSetup, stepLine } from '../aws/plan.js';
import { defaultName, type Wanted } from '../aws/resources.js';
import { UsageError } from './args.js';
import type { CliIO, Command } from './command.js';

const USAGE = `  aws setup --bucket B [--region R] [--name N] [--app-origin https://app.example ...] [--cookies]
        [--public-key-file F | --key-dir DIR [--key-type ecdsa|rsa]] [--dry-run] [--env-out F]
        [--print-cloudformation]`;

export type ClientFactory = (region: string, env: CliIO['env']) => AwsClients;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

interface KeyMaterial {
  publicKeyPem: string;
  /** The private key file the service will read, when known. */
  privateKeyFile?: string;
  /** A key pair to write to disk (a new one); absent when it exists. */
  generate?: { dir: string; privatePem: string };
}

function checkPublicKey(pem: string, where: string): string {
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UsageError(`${where}: not a PEM public (or private) key`);
  }
  const d = key.asymmetricKeyDetails;
  const ok = (key.asymmetricKeyType === 'rsa' && d?.modulusLength === 2048) || (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'prime256v1');
  if (!ok) throw new UsageError(`${where}: CloudFront takes RSA-2048 or ECDSA P-256 keys only`);
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function keyMaterial(o: { publicKeyFile?: string; keyDir: string; keyType: 'ecdsa' | 'rsa' }): KeyMaterial {
  if (o.publicKeyFile !== undefined) {
    const file = resolve(o.publicKeyFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`--public-key-file: cannot read ${file}`);
    }
    const sibling = join(dirname(file), 'private_key.pem');
    return { publicKeyPem: checkPublicKey(text, `--public-key-file ${file}`), ...(existsSync(sibling) ? { privateKeyFile: sibling } : {}) };
  }
  const dir = resolve(o.keyDir);
  const privateFile = join(dir, 'private_key.pem');
  if (existsSync(privateFile)) return { publicKeyPem: checkPublicKey(readFileSync(privateFile, 'utf8'), privateFile), privateKeyFile: privateFile };
  const pair = o.keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyFile: privateFile,
    generate: { dir, privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  };
}

function writeKeyPair(k: KeyMaterial): void {
  if (!k.generate) return;
  mkdirSync(k.generate.dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(k.generate.dir, 'private_key.pem'), k.generate.privatePem, { mode: 0o600 });
  writeFileSync(join(k.generate.dir, 'public_key.pem'), k.publicKeyPem);
}

function appOrigin(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`--app-origin: "${value}" is not a URL (e.g. https://app.example.com)`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.pathname !== '/' || u.search || u.hash || u.username) {
    throw new UsageError(`--app-origin: "${value}" must be an origin: scheme, host and optional port only`);
  }
  return u.origin;
}

/** The service's variables for a finished setup. */
export function serviceVariables(r: SetupResult, privateKeyFile: string | undefined): string[] {
  return [
    `S3_BUCKET=${r.bucket}`,
    `AWS_REGION=${r.region}`,
    `CDN_BASE_URL=https://${r.domainName}`,
    `CLOUDFRONT_KEY_PAIR_ID=${r.keyPairId}`,
    ...(privateKeyFile ? [`CLOUDFRONT_PRIVATE_KEY_FILE=${privateKeyFile}`] : []),
  ];
}

export function createAwsCommand(makeClients: ClientFactory = createAwsClients): Command {
  return {
    usage: USAGE,
    async run(args, io) {
      const [sub, ...rest] = args;
      if (sub !== 'setup') throw new UsageError(`usage: hlsgate aws setup --bucket B [...]\n${USAGE}`);
      let values;
      try {
        ({ values } = parseArgs({
          args: rest,
          strict: true,
          allowPositionals: false,
          options: {
            bucket: { type: 'string' },
            region: { type: 'string' },
            name: { type: 'string' },
            'app-origin': { type: 'string', multiple: true },
            'public-key-file': { type: 'string' },
            'key-dir': { type: 'string' },
            'key-type': { type: 'string' },
            cookies: { type: 'boolean' },
            'dry-run': { type: 'boolean' },
            'env-out': { type: 'string' },
            'print-cloudformation': { type: 'boolean' },
          },
        }));
      } catch (err) {
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      const bucket = values.bucket;
      if (!bucket) throw new UsageError('--bucket is required');
      if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) throw new UsageError(`--bucket: "${bucket}" is not a valid S3 bucket name`);
      const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
      if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError(`--region: "${region}" is not an AWS region (e.g. eu-west-1)`);
      const keyType = values['key-type'] ?? 'ecdsa';
      if (keyType !== 'ecdsa' && keyType !== 'rsa') throw new UsageError(`--key-type: "${keyType}" is not ecdsa or rsa`);
      if (values['public-key-file'] !== undefined && (values['key-dir'] !== undefined || values['key-type'] !== undefined)) {
        throw new UsageError('--public-key-file uses your key: --key-dir and --key-type are for a generated one');
      }
      const appOrigins = [...new Set((values['app-origin'] ?? []).map(appOrigin))];
      const cookies = values.cookies === true;
      if (cookies && appOrigins.length === 0) throw new UsageError('--cookies needs --app-origin: credentials are only allowed for named origins');

      const keys = keyMaterial({ ...(values['public-key-file'] !== undefined ? { publicKeyFile: values['public-key-file'] } : {}), keyDir: values['key-dir'] ?? './keys', keyType });
      const wanted: Wanted = { bucket, region, name: values.name ?? defaultName(bucket), publicKeyPem: keys.publicKeyPem, appOrigins, cookies };
      const keyName = publicKeyName(wanted, keyDer(keys.publicKeyPem));

      if (values['print-cloudformation']) {
        io.stdout(JSON.stringify(cloudFormationTemplate(wanted, keyName), null, 2));
        if (keys.generate) {
          writeKeyPair(keys);
          io.stderr(`hlsgate aws setup: generated a key pair in ${keys.generate.dir} (its public key is in the template)`);
        }
        return 0;
      }

      const dryRun = values['dry-run'] === true;
      const clients = makeClients(region, io.env);
      try {
        const facts = await discoverSetup(clients, wanted);
        const steps = planSetup(facts, wanted, keyName);
        const n = changes(steps);
        if (dryRun) {
          for (const s of steps) io.stdout(stepLine(s));
          if (keys.generate) io.stderr(`hlsgate aws setup: would generate a key pair in ${keys.generate.dir}`);
          io.stderr(`hlsgate aws setup: dry run: ${n === 0 ? 'nothing to change' : `${n} change(s) planned`}; nothing was changed`);
          return 0;
        }
        if (keys.generate) {
          writeKeyPair(keys);
          io.stderr(`hlsgate aws setup: generated a key pair in ${keys.generate.dir} (keep private_key.pem secret)`);
        }
        const result = await applySetup(clients, facts, wanted, steps, keyName);
        for (const s of steps) io.stdout(stepLine(s));
        const variables = serviceVariables(result, keys.privateKeyFile);
        for (const v of variables) io.stdout(v);
        if (values['env-out']) {
          const file = resolve(values['env-out']);
          writeFileSync(file, `# hlsgate aws setup --bucket ${bucket} (${wanted.name})\n${variables.join('\n')}\n`);
          io.stderr(`hlsgate aws setup: wrote the variables to ${file}`);
        }
        if (!keys.privateKeyFile) io.stderr('hlsgate aws setup: set CLOUDFRONT_PRIVATE_KEY_FILE to the private half of --public-key-file');
        io.stderr(
          n === 0
            ? 'hlsgate aws setup: nothing changed: every resource already exists as wanted'
            : `hlsgate aws setup: ${steps.filter((s) => s.action === 'create').length} created, ${steps.filter((s) => s.action === 'update').length} updated`,
        );
        if (result.deploying) io.stderr(`hlsgate aws setup: CloudFront deploys distribution ${result.distributionId} in about 5 to 15 minutes (status InProgress, then Deployed); run hlsgate doctor then`);
        return 0;
      } catch (err) {
        if (err instanceof AwsCallError) {
          io.stderr(`hlsgate aws setup: ${err.message}`);
          return 1;
        }
        throw err;
      } finally {
        destroyClients(clients);
      }
    },
  };
}

export const aws: Command = createAwsCommand();
