// PlaylistSource against a real S3-compatible server (s3rver) and hostile local servers.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, createS3Client, createS3PlaylistSource, SourceError, type PlaylistSource, type SourceErrorCode } from '../../src/adapters/s3-playlist-source.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg 1.ts\n#EXT-X-ENDLIST\n';
const CREDS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function clientFor(endpoint: string, timeoutMs = 5000): S3Client {
  return createS3Client({ bucket: 'b', region: 'us-east-1', endpoint, forcePathStyle: true, timeoutMs, maxPlaylistBytes: 1 << 20 }, CREDS);
}

async function expectSourceError(p: Promise<unknown>, code: SourceErrorCode, status: number): Promise<SourceError> {
  const err = await p.then(
    () => {
      throw new Error('expected a SourceError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  const se = err as SourceError;
  expect(se.code).toBe(code);
  expect(se.status).toBe(status);
  return se;
}

/** Listens on loopback; returns the server and its endpoint. Tracks sockets so close() is immediate. */
async function listen<T extends NetServer | HttpServer>(server: T): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('S3 playlist source (s3rver)', () => {
  let t: TestS3;
  let source: PlaylistSource;
  const errors: { key: string; code: SourceErrorCode; cause: string }[] = [];

  beforeAll(async () => {
    t = await startTestS3();
    await t.put('videos/v1/index.m3u8', PLAYLIST);
    await t.put('videos/v 2/ünï cødé.m3u8', PLAYLIST);
    await t.put('videos/big/index.m3u8', 'x'.repeat(5000));
    await t.put('videos/empty/index.m3u8', '');
    source = createS3PlaylistSource({ client: t.client, bucket: t.bucket, timeoutMs: 3000, maxBytes: 4096, onError: (i) => errors.push(i) });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('gets a playlist with its ETag and Last-Modified', async () => {
    const got = await source.get('videos/v1/index.m3u8');
    expect(got.notModified).toBeFalsy();
    if (got.notModified) return;
    expect(got.key).toBe('videos/v1/index.m3u8');
    expect(Buffer.from(got.body).toString('utf8')).toBe(PLAYLIST);
    expect(got.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(got.lastModified).toBeInstanceOf(Date);
  });

  it('gets keys with spaces and non-ASCII characters', async () => {
    const got = await source.get('videos/v 2/ünï cødé.m3u8');
    expect(got.notModified).toBeFalsy();
    if (!got.notModified) expect(Buffer.from(got.body).toString('utf8')).toBe(PLAYLIST);
  });

  it('gets an empty object as an empty body', async () => {
    const got = await source.get('videos/empty/index.m3u8');
    if (got.notModified) throw new Error('unexpected 304');
    expect(got.body.byteLength).toBe(0);
  });

  it('answers NotModified for a matching If-None-Match, the object for a stale one', async () => {
    const first = await source.get('videos/v1/index.m3u8');
    if (first.notModified) throw new Error('unexpected 304');
    const again = await source.get('videos/v1/index.m3u8', { ifNoneMatch: first.etag });
    expect(again).toEqual({ key: 'videos/v1/index.m3u8', notModified: true, etag: first.etag });
    const stale = await source.get('videos/v1/index.m3u8', { ifNoneMatch: '"00000000000000000000000000000000"' });
    expect(stale.notModified).toBeFalsy();
  });

  it('sees a changed object through revalidation', async () => {
    await t.put('videos/changing/index.m3u8', PLAYLIST);
    const first = await source.get('videos/changing/index.m3u8');
    if (first.notModified) throw new Error('unexpected 304');
    await t.put('videos/changing/index.m3u8', `${PLAYLIST}#comment\n`);
    const second = await source.get('videos/changing/index.m3u8', { ifNoneMatch: first.etag });
    if (second.notModified) throw new Error('a changed object must not be NotModified');
    expect(second.etag).not.toBe(first.etag);
    expect(Buffer.from(second.body).toString('utf8')).toContain('#comment');
  });

  it('maps a missing key to NotFound 404 with a message that does not leak the key or bucket', async () => {
    errors.length = 0;
    const err = await expectSourceError(source.get('videos/missing/index.m3u8'), 'NotFound', 404);
    expect(err.key).toBe('videos/missing/index.m3u8');
    expect(err.message).not.toContain('videos/missing');
    expect(err.message).not.toContain(t.bucket);
    expect(errors).toEqual([{ key: 'videos/missing/index.m3u8', code: 'NotFound', cause: expect.stringContaining('NoSuchKey') }]);
  });

  it('refuses a playlist over maxBytes by Content-Length', async () => {
    errors.length = 0;
    const err = await expectSourceError(source.get('videos/big/index.m3u8'), 'TooLarge', 502);
    expect(err.message).toContain('4096');
    expect(errors[0]?.cause).toContain('ContentLength 5000');
  });

  it('refuses a playlist over maxBytes while streaming when Content-Length is absent', async () => {
    // A server that streams a chunked body (no Content-Length) forever.
    let stopped = false;
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', ETag: '"abc"' });
      const tick = () => {
        if (stopped || res.destroyed) return;
        res.write('#'.repeat(1024), () => setTimeout(tick, 1));
      };
      tick();
    });
    const srv = await listen(server);
    try {
      const seen: string[] = [];
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint), bucket: 'b', timeoutMs: 5000, maxBytes: 10_000, onError: (i) => seen.push(i.cause) });
      const started = Date.now();
      await expectSourceError(s.get('k.m3u8'), 'TooLarge', 502);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(seen[0]).toContain('while streaming');
    } finally {
      stopped = true;
      await srv.close();
    }
  });

  it('ping resolves against a reachable bucket and fails for a missing one', async () => {
    await expect(source.ping()).resolves.toBeUndefined();
    const missing = createS3PlaylistSource({ client: t.client, bucket: 'no-such-bucket', timeoutMs: 3000, maxBytes: 4096 });
    const err = await expectSourceError(missing.ping(), 'NotFound', 404);
    expect(err.message).toBe('storage bucket not found');
  });

  it('maps a missing bucket on get to Upstream (a misconfiguration, not a missing video)', async () => {
    const missing = createS3PlaylistSource({ client: t.client, bucket: 'no-such-bucket', timeoutMs: 3000, maxBytes: 4096 });
    await expectSourceError(missing.get('videos/v1/index.m3u8'), 'Upstream', 502);
  });

  it('fails with Upstream 502 while storage is down and recovers after a restart', async () => {
    errors.length = 0;
    await t.s3.close();
    const err = await expectSourceError(source.get('videos/v1/index.m3u8'), 'Upstream', 502);
    expect(err.message).toBe('storage is unavailable');
    expect(errors[0]?.cause).toContain('ECONNREFUSED');
    await expectSourceError(source.ping(), 'Upstream', 502);
    await t.restart();
    const got = await source.get('videos/v1/index.m3u8');
    if (got.notModified) throw new Error('unexpected 304');
    expect(Buffer.from(got.body).toString('utf8')).toBe(PLAYLIST);
    await expect(source.ping()).resolves.toBeUndefined();
  });

  it('serves many concurrent and sequential gets over reused connections', async () => {
    const all = await Promise.all(Array.from({ length: 40 }, () => source.get('videos/v1/index.m3u8')));
    expect(all.every((r) => !r.notModified && r.body.byteLength === PLAYLIST.length)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const r = await source.get('videos/v1/index.m3u8');
      expect(r.notModified).toBeFalsy();
    }
  });

  it('passes the caller abort reason through, not a SourceError', async () => {
    const ac = new AbortController();
    ac.abort(new Error('viewer went away'));
    await expect(source.get('videos/v1/index.m3u8', { signal: ac.signal })).rejects.toThrow('viewer went away');
  });
});

describe('S3 playlist source against hostile servers', () => {
  it('times out (504) against a server that accepts connections and never answers', async () => {
    const server = createNetServer(() => {
      /* accept and say nothing */
    });
    const srv = await listen(server);
    try {
      const seen: string[] = [];
      // The client's own socket timeouts are long: the source's deadline must win on its own.
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint, 60_000), bucket: 'b', timeoutMs: 300, maxBytes: 4096, onError: (i) => seen.push(i.code) });
      const started = Date.now();
      const err = await expectSourceError(s.get('videos/v1/index.m3u8'), 'Timeout', 504);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(err.message).toBe('storage did not answer within 300 ms');
      expect(seen).toEqual(['Timeout']);
      await expectSourceError(s.ping(), 'Timeout', 504);
    } finally {
      await srv.close();
    }
  });

  it('times out even when the SDK itself hangs before sending (credential provider never answers)', async () => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: () => new Promise(() => {}),
    });
    const s = createS3PlaylistSource({ client, bucket: 'b', timeoutMs: 200, maxBytes: 4096 });
    const started = Date.now();
    await expectSourceError(s.get('k.m3u8'), 'Timeout', 504);
    await expectSourceError(s.ping(), 'Timeout', 504);
    expect(Date.now() - started).toBeLessThan(1500);
    client.destroy();
  });

  it('times out when headers arrive but the body stalls', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000', ETag: '"abc"' });
      res.write('#EXTM3U\n'); // then nothing
    });
    const srv = await listen(server);
    try {
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint, 60_000), bucket: 'b', timeoutMs: 400, maxBytes: 4096 });
      const started = Date.now();
      await expectSourceError(s.get('k.m3u8'), 'Timeout', 504);
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      await srv.close();
    }
  });

  it('maps an S3 AccessDenied (403 XML) to Denied 502 without leaking the body', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied by bucket policy arn:aws:s3:::secret-bucket</Message><RequestId>R1</RequestId></Error>',
      );
    });
    const srv = await listen(server);
    try {
      const seen: { key: string; code: SourceErrorCode; cause: string }[] = [];
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint), bucket: 'b', timeoutMs: 3000, maxBytes: 4096, onError: (i) => seen.push(i) });
      const err = await expectSourceError(s.get('videos/v1/index.m3u8'), 'Denied', 502);
      expect(err.message).toBe('storage refused access');
      expect(err.message).not.toContain('policy');
      expect(seen).toEqual([{ key: 'videos/v1/index.m3u8', code: 'Denied', cause: 'AccessDenied (HTTP 403)' }]);
      // HeadBucket has no body: a bare 403.
      await expectSourceError(s.ping(), 'Denied', 502);
    } finally {
      await srv.close();
    }
  });

  it('maps a 500 / 503 from storage to Upstream 502', async () => {
    let status = 500;
    const server = createHttpServer((_req, res) => {
      res.writeHead(status, { 'Content-Type': 'application/xml' });
      res.end(`<Error><Code>${status === 500 ? 'InternalError' : 'SlowDown'}</Code><Message>x</Message></Error>`);
    });
    const srv = await listen(server);
    try {
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint), bucket: 'b', timeoutMs: 5000, maxBytes: 4096 });
      await expectSourceError(s.get('k.m3u8'), 'Upstream', 502);
      status = 503;
      await expectSourceError(s.get('k.m3u8'), 'Upstream', 502);
    } finally {
      await srv.close();
    }
  });

  it('never puts credentials into the onError cause (SignatureDoesNotMatch echoes the key id)', async () => {
    // Real S3 echoes AWSAccessKeyId, StringToSign and the signature in this error body.
    const server = createHttpServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end(
        '<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>' +
          '<AWSAccessKeyId>AKIAEXAMPLEKEYID0001</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 x</StringToSign>' +
          '<SignatureProvided>deadbeef</SignatureProvided></Error>',
      );
    });
    const srv = await listen(server);
    try {
      const secret = 'SuperSecretKeyValue1234567890';
      const client = createS3Client(
        { bucket: 'b', region: 'us-east-1', endpoint: srv.endpoint, forcePathStyle: true, timeoutMs: 3000, maxPlaylistBytes: 4096 },
        { accessKeyId: 'AKIAEXAMPLEKEYID0001', secretAccessKey: secret },
      );
      const seen: string[] = [];
      const s = createS3PlaylistSource({ client, bucket: 'b', timeoutMs: 3000, maxBytes: 4096, onError: (i) => seen.push(i.cause) });
      const err = await expectSourceError(s.get('k.m3u8'), 'Denied', 502);
      expect(seen).toEqual(['SignatureDoesNotMatch (HTTP 403)']);
      for (const text of [err.message, seen.join(' ')]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain('AKIAEXAMPLEKEYID0001');
        expect(text).not.toContain('deadbeef');
      }
      client.destroy();
    } finally {
      await srv.close();
    }
  });

  // A reset is storage failing, not storage being slow. The SDK names a reset `TimeoutError` (so
  // that it retries it); before classification went by code first, each of these answered 504
  // "storage did not answer within ... ms" within milliseconds.
  it.each<[string, (socket: Socket) => void]>([
    ['destroys the socket as soon as it accepts it', (socket) => socket.destroy()],
    ['reads the request, then destroys the socket', (socket) => socket.once('data', () => socket.destroy())],
    ['reads the request, then resets the connection (RST)', (socket) => socket.once('data', () => socket.resetAndDestroy())],
  ])('answers 502 (not 504) when the server %s', async (_what, onConnection) => {
    const server = createNetServer((socket) => {
      socket.on('error', () => {});
      onConnection(socket);
    });
    const srv = await listen(server);
    try {
      const seen: { code: SourceErrorCode; cause: string }[] = [];
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint), bucket: 'b', timeoutMs: 5000, maxBytes: 4096, onError: ({ code, cause }) => seen.push({ code, cause }) });
      const started = Date.now();
      const err = await expectSourceError(s.get('videos/v1/index.m3u8'), 'Upstream', 502);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(err.message).toBe('storage is unavailable');
      expect(seen).toEqual([{ code: 'Upstream', cause: expect.stringMatching(/ECONNRESET|EPIPE/) }]);
      await expectSourceError(s.ping(), 'Upstream', 502);
    } finally {
      await srv.close();
    }
  });

  it('answers 502 when the connection is reset in the middle of the body', async () => {
    const server = createNetServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: "abc"\r\n\r\n#EXTM3U\n', () => socket.resetAndDestroy());
      });
    });
    const srv = await listen(server);
    try {
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint), bucket: 'b', timeoutMs: 5000, maxBytes: 4096 });
      await expectSourceError(s.get('videos/v1/index.m3u8'), 'Upstream', 502);
    } finally {
      await srv.close();
    }
  });

  it("answers 504 when the SDK's own socket timeout fires first (a real timeout, shorter than the deadline)", async () => {
    const server = createNetServer((socket) => socket.on('error', () => {})); // accepts, never answers
    const srv = await listen(server);
    try {
      const seen: string[] = [];
      const s = createS3PlaylistSource({ client: clientFor(srv.endpoint, 200), bucket: 'b', timeoutMs: 10_000, maxBytes: 4096, onError: (i) => seen.push(i.cause) });
      const started = Date.now();
      await expectSourceError(s.get('videos/v1/index.m3u8'), 'Timeout', 504);
      // Well before our own 10 s deadline: the SDK's timeout (two attempts of 200 ms) decided.
      expect(Date.now() - started).toBeLessThan(5000);
      expect(seen[0]).toMatch(/^TimeoutError/);
    } finally {
      await srv.close();
    }
  });
});

describe('classify: the error code decides before the name', () => {
  const sdk = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error('x'), { name, ...extra });
  it.each<[string, unknown, SourceErrorCode]>([
    // What @smithy/node-http-handler rejects with: a socket error whose code is ECONNRESET, EPIPE or
    // ETIMEDOUT is renamed TimeoutError.
    ['a reset renamed TimeoutError by the SDK', sdk('TimeoutError', { code: 'ECONNRESET', syscall: 'read' }), 'Upstream'],
    ['a broken pipe renamed TimeoutError', sdk('TimeoutError', { code: 'EPIPE' }), 'Upstream'],
    ['a refused connection', sdk('Error', { code: 'ECONNREFUSED' }), 'Upstream'],
    ['a DNS failure', sdk('Error', { code: 'ENOTFOUND' }), 'Upstream'],
    ['the SDK request timeout (ETIMEDOUT)', sdk('TimeoutError', { code: 'ETIMEDOUT' }), 'Timeout'],
    ['an OS-level connect timeout', sdk('Error', { code: 'ETIMEDOUT' }), 'Timeout'],
    ['the SDK connection or socket timeout (no code)', sdk('TimeoutError'), 'Timeout'],
    ["S3's RequestTimeout (HTTP 400)", sdk('RequestTimeout', { Code: 'RequestTimeout', $metadata: { httpStatusCode: 400 } }), 'Timeout'],
    ['NoSuchKey', sdk('NoSuchKey', { Code: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }), 'NotFound'],
    ['NoSuchBucket', sdk('NoSuchBucket', { Code: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }), 'Upstream'],
    ['AccessDenied', sdk('AccessDenied', { Code: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), 'Denied'],
    ['a bare 403', sdk('Unknown', { $metadata: { httpStatusCode: 403 } }), 'Denied'],
    ['SlowDown (HTTP 503)', sdk('SlowDown', { Code: 'SlowDown', $metadata: { httpStatusCode: 503 } }), 'Upstream'],
    ['anything else', new Error('boom'), 'Upstream'],
    ['not an error at all', 'boom', 'Upstream'],
  ])('%s -> %s', (_what, err, expected) => {
    expect(classify(err)).toBe(expected);
  });
});
