// A request as the service reads it, parsed once at the front door and passed down: method, path
// and query apart, the video route it names, and (computed on first use, since the hot path
// rarely needs all of them) the client address, host name and whether it came over TLS. What
// Express computes as req.path, req.ip, req.hostname and req.secure, computed the same way (same
// packages, same trust-proxy rules), so pages served through Express and playlists served
// without it agree.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { matchVideoRoute, type VideoRoute } from '../routes.js';
import { unmapIPv4 } from './rate-limit.js';

/** Whether the hop at `addr` (the i-th from the socket) is a trusted proxy (TRUST_PROXY, compiled). */
export type TrustProxy = (addr: string, i: number) => boolean;

/** TRUST_PROXY (comma-separated addresses/subnets/names, or false) compiled the way Express compiles 'trust proxy'. */
export function compileTrustProxy(setting: string | false | undefined): TrustProxy {
  return proxyaddr.compile(setting ? setting.split(',').map((v) => v.trim()) : []);
}

/** A request header's value (the first, if repeated). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `url` split at the first `?` or `#`: the path, and the query without its `?` (empty when none). */
export function splitUrl(url: string): { path: string; rawQuery: string } {
  const end = url.search(/[?#]/);
  if (end === -1) return { path: url, rawQuery: '' };
  const path = url.slice(0, end);
  if (url.charCodeAt(end) !== 0x3f /* ? */) return { path, rawQuery: '' };
  const hash = url.indexOf('#', end);
  return { path, rawQuery: url.slice(end + 1, hash === -1 ? url.length : hash) };
}

export class ParsedRequest {
  readonly method: string;
  /** The path without query string, as sent (still percent-encoded). */
  readonly path: string;
  /** The query string without `?` ('' when none). */
  readonly rawQuery: string;
  /** The video route the path names, if any. */
  readonly route: VideoRoute | undefined;
  readonly #req: IncomingMessage;
  readonly #trust: TrustProxy;
  #clientIp: string | undefined | null = null;
  #query: URLSearchParams | undefined;

  constructor(req: IncomingMessage, trust: TrustProxy) {
    this.#req = req;
    this.#trust = trust;
    this.method = req.method ?? 'GET';
    const { path, rawQuery } = splitUrl(req.url ?? '');
    this.path = path;
    this.rawQuery = rawQuery;
    this.route = matchVideoRoute(path);
  }

  /** The query parsed as URLSearchParams (for EXT-X-DEFINE:QUERYPARAM). */
  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.rawQuery));
  }

  /** Express's `req.ip`: X-Forwarded-For only from trusted proxies, IPv4-mapped IPv6 as IPv4. */
  get clientIp(): string | undefined {
    if (this.#clientIp === null) {
      // proxy-addr reads the socket's address; a destroyed socket has none.
      const ip = this.#req.socket.remoteAddress === undefined ? undefined : proxyaddr(this.#req, this.#trust);
      this.#clientIp = ip ? unmapIPv4(ip) : undefined;
    }
    return this.#clientIp;
  }

  /** Express's `req.hostname`: X-Forwarded-Host from a trusted proxy, else Host, without the port. */
  get hostname(): string | undefined {
    const req = this.#req;
    let host = header(req, 'x-forwarded-host');
    if (!host || !this.#trust(req.socket.remoteAddress ?? '', 0)) host = header(req, 'host');
    else if (host.includes(',')) host = host.slice(0, host.indexOf(',')).trimEnd();
    if (!host) return undefined;
    const offset = host.startsWith('[') ? host.indexOf(']') + 1 : 0;
    const colon = host.indexOf(':', offset);
    return colon === -1 ? host : host.slice(0, colon);
  }

  /** Express's `req.secure`: TLS, or X-Forwarded-Proto `https` from a trusted proxy. */
  get secure(): boolean {
    const req = this.#req;
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    if (!this.#trust(req.socket.remoteAddress ?? '', 0)) return proto === 'https';
    const forwarded = header(req, 'x-forwarded-proto') || proto;
    const comma = forwarded.indexOf(',');
    return (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim() === 'https';
  }

  header(name: string): string | undefined {
    return header(this.#req, name);
  }
}
