// Agents, secrets, unsigned mode, flood limiting, stale events, failure to make durable,
// health and metrics: the receiver on a real embedded log.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createMetrics, type Metrics } from '../../core/metrics.js';
import { buildApp } from '../../ingest/app.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { embeddedPublisher, type Publisher } from '../../queue/publisher.js';
import { samplePayload, sign } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(env: Record<string, string>): Promise<{ app: FastifyInstance; log: EmbeddedLog; metrics: Metrics }> {
  const dir = await tempDir();
  const log = await EmbeddedLog.open({ dir: dir.path });
  const metrics = createMetrics({ defaultMetrics: false });
  const app = await buildApp({ config: loadConfig(env), publisher: embeddedPublisher(log), metrics });
  cleanups.push(
    dir.remove,
    () => log.close(),
    () => app.close(),
  );
  return { app, log, metrics };
}

function post(app: FastifyInstance, url: string, body: string, signature?: string, ip = '10.0.0.1') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== undefined) headers['x-webhook-signature'] = signature;
  return app.inject({ method: 'POST', url, payload: body, headers, remoteAddress: ip });
}

describe('agents and secrets', () => {
  const env = { WEBHOOK_AGENTS: '{"sales":["sales-new","sales-old"],"support":"support-secret"}', SIGNATURE_FAILURES_PER_MINUTE: '1000' };

  it("the router's own refusals (a very long agent name, a malformed URL) are catalogue errors", async () => {
    const { app, log } = await receiver(env);
    const long = await post(app, `/webhook/${'a'.repeat(300)}`, '{}', 'x');
    expect(long.statusCode).toBe(404);
    expect(long.json()).toEqual({ error: { code: 'unknown_agent', message: expect.stringMatching(/^No agent named "a{64}\.\.\."/) } });
    const malformed = await post(app, '/webhook/%E0%A4%A', '{}', 'x');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ error: { code: 'malformed_url', message: 'The URL path /webhook/%E0%A4%A is not valid percent-encoding.' } });
    const longElsewhere = await app.inject({ method: 'GET', url: `/api/reports/${'x'.repeat(300)}` });
    expect(longElsewhere.statusCode).toBe(404);
    expect(longElsewhere.json().error.code).toBe('not_found');
    expect(log.end).toBe(0);
  });

  it('each agent route accepts its own secrets and records the agent', async () => {
    const { app, log } = await receiver(env);
    const body = JSON.stringify(samplePayload());
    expect((await post(app, '/webhook/sales', body, sign(body, 'sales-new'))).statusCode).toBe(200);
    expect((await post(app, '/webhook/sales', body, sign(body, 'sales-old'))).statusCode).toBe(200);
    expect((await post(app, '/webhook/support', body, sign(body, 'support-secret'))).statusCode).toBe(200);
    expect((await log.read(10)).map((r) => r.envelope.agent)).toEqual(['sales', 'sales', 'support']);
  });

  it('a secret with non-ASCII characters is used as its UTF-8 bytes, as the sender signs', async () => {
    const { app } = await receiver({ WEBHOOK_SECRET: 'sécret-ключ-秘密' });
    const body = JSON.stringify(samplePayload());
    expect((await post(app, '/webhook', body, sign(body, 'sécret-ключ-秘密'))).statusCode).toBe(200);
  });

  it("another agent's secret is refused", async () => {
    const { app } = await receiver(env);
    const body = JSON.stringify(samplePayload());
    const res = await post(app, '/webhook/sales', body, sign(body, 'support-secret'));
    expect(res.statusCode).toBe(401);
  });

  it('the plain route is unknown when only named agents are configured', async () => {
    const { app } = await receiver(env);
    const body = JSON.stringify(samplePayload());
    expect((await post(app, '/webhook', body, sign(body, 'sales-new'))).json().error.code).toBe('unknown_agent');
  });
});

describe('unsigned mode (no secret configured)', () => {
  it('accepts requests without a signature, for any agent, stored as unsigned', async () => {
    const { app, log } = await receiver({});
    const body = JSON.stringify(samplePayload());
    expect((await post(app, '/webhook', body)).statusCode).toBe(200);
    expect((await post(app, '/webhook/anyone', body, 'not-checked')).statusCode).toBe(200);
    const records = await log.read(10);
    expect(records.map((r) => [r.envelope.agent, r.envelope.signature])).toEqual([
      ['default', 'unsigned'],
      ['anyone', 'unsigned'],
    ]);
  });

  it.each([['/webhook/'], ['/webhook/has%20space'], ['/webhook/%C3%A9t%C3%A9'], ['/webhook/-dash-first']])('%s is not an agent name anyone could configure: 404, nothing stored', async (url) => {
    const { app, log } = await receiver({});
    const res = await post(app, url, JSON.stringify(samplePayload()));
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('unknown_agent');
    expect(log.end).toBe(0);
  });
});

describe('failed-signature floods', () => {
  it('an address over the limit gets 429, and once it has signed correctly its signed requests still pass', async () => {
    const { app } = await receiver({ WEBHOOK_SECRET: 's', SIGNATURE_FAILURES_PER_MINUTE: '3' });
    const body = JSON.stringify(samplePayload());
    expect((await post(app, '/webhook', body, sign(body, 's'), '10.9.9.9')).statusCode).toBe(200);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(app, '/webhook', body, 'f'.repeat(64), '10.9.9.9')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await post(app, '/webhook', body, 'f'.repeat(64), '10.9.9.9');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await post(app, '/webhook', body, sign(body, 's'), '10.9.9.9')).statusCode).toBe(200);
    expect((await post(app, '/webhook', body, 'f'.repeat(64), '10.1.1.1')).statusCode).toBe(401);
  });

  it('an address that never signed correctly is refused unread once over the limit, signed or not', async () => {
    const { app } = await receiver({ WEBHOOK_SECRET: 's', SIGNATURE_FAILURES_PER_MINUTE: '2' });
    const body = JSON.stringify(samplePayload());
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(app, '/webhook', body, 'f'.repeat(64), '10.8.8.8')).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
    const signed = await post(app, '/webhook', body, sign(body, 's'), '10.8.8.8');
    expect(signed.statusCode).toBe(429);
    expect(signed.headers.connection).toBe('close');
    expect((await post(app, '/webhook', body, sign(body, 's'), '10.1.1.1')).statusCode).toBe(200);
  });

  const fromProxy = (app: FastifyInstance, forwardedFor: string) =>
    app.inject({
      method: 'POST',
      url: '/webhook',
      payload: '{}',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': 'f'.repeat(64), 'x-forwarded-for': forwardedFor },
      remoteAddress: '10.0.0.2',
    });

  it('X-Forwarded-For is ignored unless TRUST_PROXY names the proxy: a client cannot pick a new address per attempt', async () => {
    const { app } = await receiver({ WEBHOOK_SECRET: 's', SIGNATURE_FAILURES_PER_MINUTE: '2' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fromProxy(app, `203.0.113.${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 429, 429]);
  });

  it('with TRUST_PROXY set to the proxy, each forwarded client has its own limit', async () => {
    const { app } = await receiver({ WEBHOOK_SECRET: 's', SIGNATURE_FAILURES_PER_MINUTE: '2', TRUST_PROXY: '10.0.0.0/8' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fromProxy(app, `203.0.113.${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect((await fromProxy(app, '203.0.113.1')).statusCode).toBe(401);
    expect((await fromProxy(app, '203.0.113.1')).statusCode).toBe(429);
  });
});

describe('stale events', () => {
  it('an event older than MAX_EVENT_AGE_SECONDS is refused and not kept', async () => {
    const { app, log } = await receiver({ WEBHOOK_SECRET: 's', MAX_EVENT_AGE_SECONDS: '3600' });
    const old = JSON.stringify(samplePayload({ timestamp: new Date(Date.now() - 7200_000).toISOString() }));
    const fresh = JSON.stringify(samplePayload({ timestamp: new Date().toISOString() }));
    expect((await post(app, '/webhook', old, sign(old, 's'))).json().error.code).toBe('stale_event');
    expect((await post(app, '/webhook', fresh, sign(fresh, 's'))).statusCode).toBe(200);
    expect(log.end).toBe(1);
  });
});

describe('when the event cannot be made durable', () => {
  it('answers 503 (never 2xx), and /readyz reports the queue as not ready', async () => {
    const { app, log } = await receiver({ WEBHOOK_SECRET: 's' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    // Break the real log underneath: its segment file handle is closed, so the write fails.
    await (log as unknown as { writer: { handle: { close(): Promise<void> } } }).writer.handle.close();
    const body = JSON.stringify(samplePayload());
    const res = await post(app, '/webhook', body, sign(body, 's'));
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('not_durable');
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, checks: { queue: false } });
  });
});

describe('answers and logs', () => {
  it('an accepted webhook is answered 200 with exactly {"received":true} as JSON', async () => {
    const { app } = await receiver({ WEBHOOK_SECRET: 's' });
    const body = JSON.stringify(samplePayload());
    const res = await post(app, '/webhook', body, sign(body, 's'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toBe('{"received":true}');
  });

  it("an unexpected error is logged once, with the request's id, and answered 500", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const failing: Publisher = { publish: () => Promise.reject(new Error('disk on fire')), ready: true, close: async () => {} };
    const app = await buildApp({ config: loadConfig({ WEBHOOK_SECRET: 's' }), publisher: failing, metrics: createMetrics({ defaultMetrics: false }), loggerInstance: logger });
    cleanups.push(() => app.close());
    const body = JSON.stringify(samplePayload());
    const res = await post(app, '/webhook', body, sign(body, 's'));
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('internal');
    const logged = lines.filter((l) => l.msg === 'unexpected error');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, reqId: expect.any(String), err: { message: 'disk on fire' } });
  });
});

describe('metrics', () => {
  it('counts requests by outcome and signature failures', async () => {
    const { app, metrics } = await receiver({ WEBHOOK_SECRET: 's' });
    const body = JSON.stringify(samplePayload());
    await post(app, '/webhook', body, sign(body, 's'));
    await post(app, '/webhook', body, sign(body, 's'));
    await post(app, '/webhook', body);
    // Served on the read API's listener (reports/read-server.ts), not the receiver's.
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/aksita_webhook_requests_total\{route="\/webhook",outcome="accepted"\} 2/);
    expect(text).toMatch(/aksita_webhook_requests_total\{route="\/webhook",outcome="signature_missing"\} 1/);
    expect(text).toMatch(/aksita_signature_failures_total\{agent="default",reason="signature_missing"\} 1/);
  });
});
