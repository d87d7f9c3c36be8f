// The log's last line of defence: redactLine blanks signing values, tokens and credentials in any
// serialized line (messages, causes, stacks), and createLogger applies it to every line it writes.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactLine } from '../src/logger.js';

const POLICY = 'eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9kMTExLmNsb3VkZnJvbnQubmV0L3YvKiJ9XX0_';
const SIG = 'Hr3kQ~x-_AbCdEfGh0123456789~zyX-wvU_tsR';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE5MDAwMDAwMDB9.c2lnbmF0dXJlLXZhbHVl';

describe('redactLine', () => {
  it.each<[string, string, string]>([
    ['a canned-policy URL', `https://d111.cloudfront.net/v/a.ts?Expires=1900000000&Signature=${SIG}&Key-Pair-Id=K2JCJMDEHXQW5F`, 'https://d111.cloudfront.net/v/a.ts?Expires=1900000000&Signature=[redacted]&Key-Pair-Id=[redacted]'],
    ['a custom-policy URL', `https://d111.cloudfront.net/v/a.ts?Policy=${POLICY}&Signature=${SIG}&Key-Pair-Id=K1&Hash-Algorithm=SHA256`, 'https://d111.cloudfront.net/v/a.ts?Policy=[redacted]&Signature=[redacted]&Key-Pair-Id=[redacted]&Hash-Algorithm=SHA256'],
    ['a URL percent-encoded inside another', `next=https%3A%2F%2Fd.net%2Fa.ts%3FSignature%3D${SIG}%26Key-Pair-Id%3DK1 x`, 'next=https%3A%2F%2Fd.net%2Fa.ts%3FSignature%3D[redacted] x'],
    ['CloudFront cookies in a Cookie header', `Cookie: CloudFront-Policy=${POLICY}; CloudFront-Signature=${SIG}; CloudFront-Key-Pair-Id=K1`, 'Cookie: CloudFront-Policy=[redacted]; CloudFront-Signature=[redacted]; CloudFront-Key-Pair-Id=[redacted]'],
    ['a Set-Cookie line', `CloudFront-Signature=${SIG}; Domain=.example.com; Path=/v/; Secure; HttpOnly`, 'CloudFront-Signature=[redacted]; Domain=.example.com; Path=/v/; Secure; HttpOnly'],
    ['a viewer token in the query', `/videos/v1?t=30&token=${JWT}&x=1`, '/videos/v1?t=30&token=[redacted]&x=1'],
    ['the entitlement cookie', `hlsgate_viewer=${JWT}; other=1`, 'hlsgate_viewer=[redacted]; other=1'],
    ['an Authorization header as text', `Authorization: Bearer ${JWT}`, 'Authorization: [redacted]'],
    ['a Bearer credential alone', `sent Bearer ${JWT}, refused`, 'sent Bearer [redacted], refused'],
    ['a lowercase authorization header', `authorization: bearer ${JWT}`, 'authorization: [redacted]'],
    ['Basic credentials', 'got Basic YWRtaW46c2VjcmV0 from x', 'got Basic [redacted] from x'],
    ['an authorization field in JSON', '{"authorization":"Token abc.def"}', '{"authorization":"[redacted]"}'],
    ['an S3 presigned URL', 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Security-Token=IQoJb3&X-Amz-Signature=deadbeef', 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted]'],
    ['other *_token parameters', 'cb?access_token=abc&id_token=def&state=s', 'cb?access_token=[redacted]&id_token=[redacted]&state=s'],
    ['a quoted URI in a serialized message', `{"msg":"refused \\"https://d.net/a.ts?Signature=${SIG}\\" (already signed)"}`, '{"msg":"refused \\"https://d.net/a.ts?Signature=[redacted]\\" (already signed)"}'],
    ['a stack in a serialized line', `{"stack":"Error: bad https://d.net/a?Policy=${POLICY}\\n    at f (x.ts:1:1)"}`, '{"stack":"Error: bad https://d.net/a?Policy=[redacted]\\n    at f (x.ts:1:1)"}'],
  ])('%s', (_what, line, expected) => {
    expect(redactLine(line)).toBe(expected);
  });

  it.each([
    '{"level":30,"time":1,"service":"hlsgate","req":{"id":"3f1c","method":"GET","url":"/videos/v1/media/720p/index.m3u8","remoteAddress":"203.0.113.9"},"res":{"statusCode":200},"responseTime":1,"msg":"GET /videos/v1/media/720p/index.m3u8 200 1ms"}\n',
    '{"level":40,"msg":"playlist videos/v1/index.m3u8: 2 URI(s) pass through unsigned (https://keys.example.com)"}\n',
    'Expires=1900000000 and Hash-Algorithm=SHA256 are no secret',
    'a basic idea, the token count, a policy document, a signature scheme',
  ])('leaves a line with nothing to hide as it is: %s', (line) => {
    expect(redactLine(line)).toBe(line);
  });

  it('keeps a serialized line valid JSON', () => {
    const line = JSON.stringify({ msg: `GET https://d.net/a.ts?Policy=${POLICY}&Signature=${SIG}`, headers: { cookie: `CloudFront-Signature=${SIG}` }, auth: `Bearer ${JWT}` });
    const out = JSON.parse(redactLine(line)) as Record<string, unknown>;
    expect(JSON.stringify(out)).not.toMatch(new RegExp(`${SIG.replace(/[~-]/g, '.')}|${POLICY}|${JWT}`));
  });
});

describe('createLogger', () => {
  it('passes every line through redactLine: messages, error messages, causes and stacks', () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    const url = `https://d111.cloudfront.net/v/a.ts?Policy=${POLICY}&Signature=${SIG}&Key-Pair-Id=KLOGTEST`;
    const cause = new Error(`upstream refused ${url}`);
    logger.warn({ err: new Error(`playlist holds an already-signed URI ${url}`, { cause }) }, `refused ${url}`);
    logger.child({ reqId: 'r1' }).debug({ header: `Bearer ${JWT}` }, `token=${JWT}`);
    const text = chunks.join('');
    expect(chunks).toHaveLength(2);
    for (const secret of [POLICY, SIG, 'KLOGTEST', JWT]) expect(text).not.toContain(secret);
    // What is left is still the story: the messages, the stack and the URL without its secrets.
    const [warn] = text.split('\n').map((l) => JSON.parse(l || '{}') as { msg?: string; err?: { stack?: string } });
    expect(warn?.msg).toBe('refused https://d111.cloudfront.net/v/a.ts?Policy=[redacted]&Signature=[redacted]&Key-Pair-Id=[redacted]');
    expect(warn?.err?.stack).toMatch(/^Error: playlist holds an already-signed URI https:\/\/d111\.cloudfront\.net\/v\/a\.ts\?Policy=\[redacted\]/);
    expect(warn?.err?.stack).toContain('logger.test.ts');
  });
});
