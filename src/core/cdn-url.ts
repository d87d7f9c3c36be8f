// Mapping between S3 object keys and CDN URLs. CDN_BASE_URL maps to the bucket root, so the key
// `videos/v1/seg 1.ts` lives at `<base>/videos/v1/seg%201.ts`. Each key segment is percent-encoded
// (then WHATWG-normalized, the form browsers request and we sign), and decoded back the same way.

/** Normalizes a CDN base URL: http(s), no query or fragment, no trailing slash. */
export function normalizeCdnBase(base: string): string {
  const u = new URL(base);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`CDN base URL "${base}" must be http(s)`);
  if (u.search || u.hash || u.username || u.password) throw new Error(`CDN base URL "${base}" must not carry a query, fragment or credentials`);
  return u.href.replace(/\/+$/, '');
}

/** Percent-encodes a key (or key prefix) segment by segment, keeping the `/` separators. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Inverse of encodeKeyPath; undefined when the path holds malformed percent-encoding. */
export function decodeKeyPath(path: string): string | undefined {
  try {
    return path.split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}

/** The normalized CDN URL of an object key (or of a key prefix ending in `/`). */
export function keyToCdnUrl(cdnBase: string, key: string): string {
  return new URL(`${normalizeCdnBase(cdnBase)}/${encodeKeyPath(key)}`).href;
}

/**
 * The object key a CDN URL path names (the path with its leading `/` removed, decoded), or
 * undefined when it is malformed or would climb with `..` or `.` segments.
 */
export function cdnPathToKey(pathname: string): string | undefined {
  const key = decodeKeyPath(pathname.replace(/^\//, ''));
  if (key === undefined || key === '') return undefined;
  if (key.split('/').some((s) => s === '..' || s === '.')) return undefined;
  return key;
}
