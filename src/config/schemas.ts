// The zod schemas of the configuration variables: each takes the raw string of one environment
// variable and yields its typed value, or fails with the message shown after `VARIABLE: `.
import { isIP } from 'node:net';
import { z } from 'zod';
import { normalizeCdnBase } from '../core/cdn-url.js';
import { normalizeCidr } from '../core/cloudfront/signer.js';

/** A schema reading one variable's raw (non-empty) string. */
export type VariableSchema<T> = z.ZodType<T, string>;

export const wholeNumber = (min: number, max: number, what: string): VariableSchema<number> => {
  const error = `expected ${what} between ${min} and ${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d{1,15}$/, { error })
    .transform(Number)
    .pipe(z.number().int().min(min, { error }).max(max, { error }));
};

export const oneOf = <T extends string>(values: readonly [T, ...T[]], normalize: (s: string) => string): VariableSchema<T> =>
  z
    .string()
    .trim()
    .transform(normalize)
    .pipe(z.enum(values, { error: `expected one of ${values.join(', ')}` }));

export const boolean: VariableSchema<boolean> = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0'], { error: 'expected true, false, 1 or 0' }))
  .transform((s) => s === 'true' || s === '1');

/** Any string, as given (paths, PEM text, secrets checked elsewhere). */
export const text: VariableSchema<string> = z.string();

/** Any string, surrounding white space removed. */
export const trimmed: VariableSchema<string> = z.string().trim();

export const host: VariableSchema<string> = z
  .string()
  .trim()
  .refine((h) => isIP(h) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(h), {
    error: 'expected an IP address or host name to listen on (e.g. 127.0.0.1, 0.0.0.0, ::)',
  });

export const bucket: VariableSchema<string> = z
  .string()
  .trim()
  .refine((b) => !/^s3:\/\//i.test(b) && !b.includes('/'), { error: 'expected a bare bucket name, not an s3:// URL or a path' })
  .refine((b) => /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/.test(b), {
    error: 'expected a bucket name (3-63 lowercase letters, digits, dots and hyphens)',
  });

export const region: VariableSchema<string> = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, { error: 'expected a region name such as us-east-1' });

export const httpUrl = (example: string): VariableSchema<string> =>
  z
    .string()
    .trim()
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username && !u.password;
        } catch {
          return false;
        }
      },
      { error: `expected an http(s) URL without query, fragment or credentials, such as ${example}` },
    );

export const cdnBase: VariableSchema<string> = httpUrl('https://d111111abcdef8.cloudfront.net').transform((s) => normalizeCdnBase(s));

export const keyPairId: VariableSchema<string> = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'expected a CloudFront public key id (letters, digits, - and _), e.g. K2JCJMDEHXQW5F' });

export const databaseUrl: VariableSchema<string> = z
  .string()
  .trim()
  .refine((s) => /^(sqlite|postgres|postgresql):/i.test(s) || !/^[A-Za-z][A-Za-z0-9+.-]+:/.test(s), {
    error: 'expected sqlite:<path> (or a bare file path) or postgres://user:password@host:5432/db',
  })
  .refine((s) => !/^sqlite:(\/\/)?$/i.test(s), { error: 'expected sqlite:<path>, e.g. sqlite:./data/hlsgate.db' })
  .refine((s) => !/^postgres(ql)?:/i.test(s) || URL.canParse(s), { error: 'expected a PostgreSQL URL such as postgres://user:password@host:5432/db' });

/** redis://[user:password@]host:port[/db] or rediss:// (TLS). */
export const redisUrl: VariableSchema<string> = z
  .string()
  .trim()
  .refine(
    (s) => {
      if (!URL.canParse(s)) return false;
      const u = new URL(s);
      return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
    },
    { error: 'expected redis://host:6379 (or rediss:// for TLS), e.g. redis://127.0.0.1:6379/0' },
  );

export const adminToken: VariableSchema<string> = z
  .string()
  .refine((s) => s.length >= 32, { error: 'must be at least 32 characters (e.g. openssl rand -hex 32)' })
  // A long token of few symbols ("aaaa...", "abab...") is guessable whatever its length.
  .refine((s) => new Set(s).size >= 8, { error: 'is too weak: it needs at least 8 different characters (e.g. openssl rand -hex 32)' })
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), { error: 'must not contain spaces or control characters' });

const TRUST_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

export const trustProxy: VariableSchema<string | false> = z
  .string()
  .trim()
  .transform((s, ctx): string | false => {
    if (/^(false|0|off|no)$/i.test(s)) return false;
    const error =
      /^(true|on|yes)$/i.test(s) || /^\d+$/.test(s)
        ? 'expected proxy addresses/CIDRs or loopback, linklocal, uniquelocal (trusting any proxy or a hop count lets clients forge X-Forwarded-For)'
        : 'expected false, or a comma-separated list of proxy addresses/CIDRs and loopback, linklocal, uniquelocal';
    const parts = s.split(',').map((p) => p.trim());
    const ok = parts.every((p) => {
      if (TRUST_KEYWORDS.has(p)) return true;
      try {
        normalizeCidr(p);
        return true;
      } catch {
        return false;
      }
    });
    if (!ok) {
      ctx.issues.push({ code: 'custom', message: error, input: s });
      return z.NEVER;
    }
    return parts.join(',');
  });

/** Comma-separated http(s) origins (scheme, host, port; no path), normalized, deduplicated. */
export const originList: VariableSchema<string[]> = z
  .string()
  .trim()
  .transform((s, ctx): string[] => {
    const out: string[] = [];
    for (const part of s.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
      let u: URL | undefined;
      try {
        u = new URL(part);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname !== '/' || u.search || u.hash || u.username || u.password) {
        ctx.issues.push({ code: 'custom', message: `expected comma-separated http(s) origins such as https://keys.example.com (no path), not ${JSON.stringify(part.slice(0, 80))}`, input: s });
        return z.NEVER;
      }
      if (!out.includes(u.origin)) out.push(u.origin);
    }
    return out;
  });

export const cookieDomain: VariableSchema<string> = z
  .string()
  .trim()
  .refine((d) => /^\.?(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(d), {
    error: 'expected a domain shared by the app and the CDN, such as .example.com',
  });
