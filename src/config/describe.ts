// The configuration as logged at startup: every secret redacted, no PEM text, no key material.
import type { ServiceConfig } from './types.js';

const REDACTED = '[redacted]';

/** A database URL with any password replaced. */
function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@]*:)[^@/]*@/, `$1${REDACTED}@`);
}

/** The configuration for logs: private key, admin token, viewer secret and database password redacted. */
export function describeConfig(c: ServiceConfig): Record<string, unknown> {
  const { key, ...signing } = c.signing;
  return {
    port: c.port,
    host: c.host,
    s3: { ...c.s3 },
    cdnBaseUrl: c.cdnBaseUrl,
    signing: { keyPairId: key.keyPairId, hash: key.hash, keyType: key.keyType, privateKey: REDACTED, ...signing },
    cache: { ...c.cache },
    databaseUrl: redactUrl(c.databaseUrl),
    databasePoolMax: c.databasePoolMax,
    redisUrl: c.redisUrl === undefined ? undefined : redactUrl(c.redisUrl),
    metricsPort: c.metricsPort,
    adminToken: c.adminToken === undefined ? undefined : REDACTED,
    logLevel: c.logLevel,
    trustProxy: c.trustProxy,
    viewerAuth: c.viewerAuth.mode === 'jwt' && c.viewerAuth.key.kind === 'secret' ? { ...c.viewerAuth, key: { kind: 'secret', secret: REDACTED } } : c.viewerAuth,
    cdnCookieDomain: c.cdnCookieDomain,
    bindIp: c.bindIp,
    rateLimitPerMinute: c.rateLimitPerMinute,
  };
}
