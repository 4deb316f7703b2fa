// Table-driven: every hostile or broken input gets the documented status and error code,
// crashes nothing, and an authenticated failure is kept (as a dead letter on the queue)
// while an unauthenticated one is not.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createMetrics } from '../../core/metrics.js';
import { buildApp } from '../../ingest/app.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { embeddedPublisher } from '../../queue/publisher.js';
import { samplePayload, sign } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'test-secret';
const FIELDS = ['response', 'conversation_id', 'message_id', 'credits', 'remaining_credits', 'additional_context', 'source', 'timestamp'];
const WRONG_TYPES: Record<string, unknown> = {
  response: 'hello',
  conversation_id: 42,
  message_id: 2125,
  credits: '0',
  remaining_credits: '1234',
  additional_context: null,
  source: 7,
  timestamp: 1769069898,
};

type Signing = 'valid' | 'none' | { header: string | string[] };
interface Case {
  name: string;
  body: Buffer | string;
  signing?: Signing;
  headers?: Record<string, string>;
  status: number;
  code?: string;
  /** True when the payload must be kept as a dead letter. */
  kept?: boolean;
}

const json = (v: unknown) => JSON.stringify(v);
const withField = (field: string, value: unknown) => json({ ...samplePayload(), [field]: value });
const without = (field: string) => {
  const p = samplePayload();
  delete p[field];
  return json(p);
};
const deep = (n: number) => `{"response":${'['.repeat(n)}${']'.repeat(n)}}`;

const cases: Case[] = [
  { name: 'a valid payload is accepted', body: json(samplePayload()), status: 200 },
  { name: 'extra fields are kept and accepted', body: json({ ...samplePayload(), agent_name: 'Ana', constructor: 'x' }), status: 200 },
  { name: 'credits other than 0 and another source are accepted (recorded, not rejected)', body: json(samplePayload({ credits: 3, source: 'bot' })), status: 200 },
  { name: 'an empty body is refused', body: '', status: 400, code: 'empty_body', kept: true },
  { name: 'null is not an object', body: 'null', status: 400, code: 'not_an_object', kept: true },
  { name: 'an array is not an object', body: '[1,2]', status: 400, code: 'not_an_object', kept: true },
  { name: 'a number is not an object', body: '42', status: 400, code: 'not_an_object', kept: true },
  { name: 'truncated JSON is malformed', body: json(samplePayload()).slice(0, 40), status: 400, code: 'malformed_json', kept: true },
  { name: 'duplicate keys are refused', body: json(samplePayload()).replace('{', '{"message_id":"first",'), status: 400, code: 'duplicate_key', kept: true },
  { name: 'a __proto__ key is refused', body: json(samplePayload()).replace('{', '{"__proto__":{"polluted":true},'), status: 400, code: 'forbidden_key', kept: true },
  { name: 'a constructor.prototype key is refused', body: json(samplePayload()).replace('{', '{"constructor":{"prototype":{"polluted":true}},'), status: 400, code: 'forbidden_key', kept: true },
  { name: '10,000-deep nesting is refused', body: deep(10_000), status: 400, code: 'too_deep', kept: true },
  { name: 'invalid UTF-8 is refused', body: Buffer.concat([Buffer.from('{"response":["'), Buffer.from([0xc3, 0x28]), Buffer.from('"]}')]), status: 400, code: 'invalid_utf8', kept: true },
  { name: 'response that is not an array is invalid', body: withField('response', 'hello'), status: 422, code: 'invalid_payload', kept: true },
  { name: 'response holding non-strings is invalid', body: withField('response', ['a', 1, null]), status: 422, code: 'invalid_payload', kept: true },
  ...FIELDS.map((f) => ({ name: `missing ${f} is invalid`, body: without(f), status: 422, code: 'invalid_payload', kept: true })),
  ...FIELDS.map((f) => ({ name: `${f} of the wrong type is invalid`, body: withField(f, WRONG_TYPES[f]), status: 422, code: 'invalid_payload', kept: true })),
  { name: 'an unparseable timestamp is invalid', body: withField('timestamp', 'yesterday at noon'), status: 422, code: 'invalid_payload', kept: true },
  { name: 'a timestamp without offset is invalid', body: withField('timestamp', '2026-01-22T15:18:18'), status: 422, code: 'invalid_payload', kept: true },
  { name: 'an impossible date is invalid', body: withField('timestamp', '2026-02-30T15:18:18Z'), status: 422, code: 'invalid_payload', kept: true },
  { name: 'a missing signature is refused', body: json(samplePayload()), signing: 'none', status: 401, code: 'signature_missing' },
  { name: 'a signature of the wrong length is refused', body: json(samplePayload()), signing: { header: 'abc123' }, status: 401, code: 'signature_invalid' },
  { name: 'a non-hex signature is refused', body: json(samplePayload()), signing: { header: 'z'.repeat(64) }, status: 401, code: 'signature_invalid' },
  { name: 'a signature by another secret is refused', body: json(samplePayload()), signing: { header: sign('x', 'other') }, status: 401, code: 'signature_invalid' },
  { name: 'an invalid body with a bad signature is refused, not kept', body: '[', signing: { header: sign('x', 'other') }, status: 401, code: 'signature_invalid' },
  { name: 'text/plain is an unsupported media type', body: json(samplePayload()), headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'a gzip content encoding is unsupported', body: json(samplePayload()), headers: { 'content-encoding': 'gzip' }, status: 415, code: 'unsupported_encoding' },
];

describe('POST /webhook with broken or hostile input', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let log: EmbeddedLog;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await tempDir();
    log = await EmbeddedLog.open({ dir: dir.path });
    const config = loadConfig({ WEBHOOK_SECRET: SECRET, DATA_DIR: dir.path, MAX_BODY_BYTES: '65536', SIGNATURE_FAILURES_PER_MINUTE: '1000' });
    app = await buildApp({ config, publisher: embeddedPublisher(log), metrics: createMetrics({ defaultMetrics: false }) });
  });
  afterAll(async () => {
    await app.close();
    await log.close();
    await dir.remove();
  });

  it.each(cases)('$name → $status', async (c) => {
    const body = Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body);
    const signing = c.signing ?? 'valid';
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json', ...c.headers };
    if (signing === 'valid') headers['x-webhook-signature'] = sign(body, SECRET);
    else if (signing !== 'none') headers['x-webhook-signature'] = signing.header;
    const before = log.end;

    const res = await app.inject({ method: 'POST', url: '/webhook', payload: body, headers });

    expect(res.statusCode).toBe(c.status);
    if (c.status === 200) expect(res.json()).toEqual({ received: true });
    else expect(res.json()).toMatchObject({ error: { code: c.code, message: expect.any(String) } });
    const published = await log.read(10);
    expect(published).toHaveLength(log.end - before);
    if (c.status === 200) {
      expect(published).toHaveLength(1);
      expect(published[0]!.envelope.body.equals(body)).toBe(true);
      expect(published[0]!.envelope.reject).toBeUndefined();
    } else if (c.kept) {
      expect(published).toHaveLength(1);
      expect(published[0]!.envelope.body.equals(body)).toBe(true);
      expect(published[0]!.envelope.reject?.code).toBe(c.code);
    } else {
      expect(published).toHaveLength(0);
    }
  });

  it('a 50 MB body is refused with 413 and nothing is kept', async () => {
    const before = log.end;
    const body = Buffer.alloc(50 * 1024 * 1024, 0x20);
    const res = await app.inject({ method: 'POST', url: '/webhook', payload: body, headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('body_too_large');
    expect(log.end).toBe(before);
  });

  it('two X-Webhook-Signature headers are refused even if one is right', async () => {
    const body = Buffer.from(json(samplePayload()));
    const good = sign(body, SECRET);
    const res = await app.inject({ method: 'POST', url: '/webhook', payload: body, headers: { 'content-type': 'application/json', 'x-webhook-signature': [good, good] } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 'signature_invalid', message: expect.stringContaining('more than once') });
  });

  it('a dead letter keeps its conversation as its queue key only when the id could be valid (at most 256 characters)', async () => {
    const send = async (conversation: string) => {
      const body = Buffer.from(JSON.stringify({ ...samplePayload(), conversation_id: conversation, response: 'not-an-array' }));
      const before = log.end;
      const res = await app.inject({ method: 'POST', url: '/webhook', payload: body, headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) } });
      expect(res.statusCode).toBe(422);
      const [record] = (await log.read(log.end)).filter((r) => r.offset >= before);
      return record!.envelope.key;
    };
    expect(await send('c'.repeat(256))).toBe('c'.repeat(256));
    expect(await send('c'.repeat(60_000))).toBe('');
  });

  it('a field of the wrong type is named with what came, a missing one is called missing', async () => {
    const body = Buffer.from(JSON.stringify({ ...samplePayload(), response: 'not-an-array', credits: '0', remaining_credits: null, message_id: undefined }));
    const res = await app.inject({ method: 'POST', url: '/webhook', payload: body, headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) } });
    expect(res.statusCode).toBe(422);
    const message: string = res.json().error.message;
    expect(message).toContain('response: expected array, got string');
    expect(message).toContain('credits: expected number, got string');
    expect(message).toContain('remaining_credits: expected number, got null');
    expect(message).toContain('message_id: missing, expected string');
  });

  it('a refused Content-Type is named in the error, and a missing one is called missing', async () => {
    const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/webhook', payload: json(samplePayload()), headers });
    const xml = await post({ 'content-type': 'application/xml; charset=utf-8' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.message).toBe('Content-Type "application/xml; charset=utf-8" is not supported. Expected application/json.');
    const none = await post({});
    expect(none.statusCode).toBe(415);
    expect(none.json().error.message).toContain('"missing"');
  });

  it('error messages never contain the secret', async () => {
    const res = await app.inject({ method: 'POST', url: '/webhook', payload: '{}', headers: { 'content-type': 'application/json', 'x-webhook-signature': 'bad' } });
    expect(res.body).not.toContain(SECRET);
  });

  it('an unknown agent route is refused with 404', async () => {
    const body = json(samplePayload());
    const res = await app.inject({ method: 'POST', url: '/webhook/nobody', payload: body, headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('unknown_agent');
  });

  it('the process is still serving after all of the above', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.json()).toEqual({ status: 'ok' });
  });
});
