// The receiver's edges over real loopback HTTP: a whole request must arrive in time,
// connections are limited overall and per peer address, an address over its failed-signature
// budget is refused before its body is read, and clients that go away are not server errors.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createMetrics, type Metrics } from '../../core/metrics.js';
import { buildApp } from '../../ingest/app.js';
import type { Publisher } from '../../queue/publisher.js';
import { samplePayload, sign } from '../helpers/sign.js';
import { rawClient, webhookHead, within, type RawClient } from './raw-http.js';

const SECRET = 's';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Receiver {
  app: FastifyInstance;
  port: number;
  metrics: Metrics;
  /** Parsed log lines, debug level and up. */
  logs: { level: number; msg: string; code?: string }[];
}

async function receiver(env: Record<string, string>, publish: Publisher['publish'] = async () => {}): Promise<Receiver> {
  const logs: Receiver['logs'] = [];
  const loggerInstance = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const publisher: Publisher = { publish, ready: true, close: async () => {} };
  const metrics = createMetrics({ defaultMetrics: false });
  const app = await buildApp({ config: loadConfig({ WEBHOOK_SECRET: SECRET, ...env }), publisher, metrics, loggerInstance });
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => app.close());
  return { app, port: (app.server.address() as AddressInfo).port, metrics, logs };
}

/** Opens a connection that the test closes at the end if the server has not. */
async function client(port: number, localAddress?: string): Promise<RawClient> {
  const c = await rawClient(port, localAddress);
  cleanups.push(() => void c.socket.destroy());
  return c;
}

/** A signed webhook over a fresh connection from `localAddress`, as Aksita sends it. */
async function signedWebhook(port: number, localAddress = '127.0.0.1'): Promise<string> {
  const body = JSON.stringify(samplePayload());
  const c = await client(port, localAddress);
  c.socket.end(webhookHead(Buffer.byteLength(body), sign(body, SECRET)).replace('Host: localhost', 'Host: localhost\r\nConnection: close') + body);
  await within(c.closed, 10_000, 'the answer to a signed webhook');
  return c.received();
}

const refused = async (metrics: Metrics, limit: string) => (await metrics.registry.getSingleMetric('aksita_connections_refused_total')!.get()).values.find((v) => v.labels.limit === limit)?.value ?? 0;

describe('request time limit', () => {
  it('a client that sends its body a byte at a time is answered 408 and cut near REQUEST_TIMEOUT_MS', async () => {
    const { port, logs } = await receiver({ REQUEST_TIMEOUT_MS: '1000' });
    const slow = await client(port);
    const opened = Date.now();
    slow.socket.write(webhookHead(100_000));
    const trickle = setInterval(() => slow.socket.writable && slow.socket.write('{'), 100);
    cleanups.push(() => clearInterval(trickle));
    await within(slow.closed, 10_000, 'the server to close the slow connection');
    // Node checks for expired requests periodically; the bound is generous, not a benchmark.
    expect(Date.now() - opened).toBeLessThan(1000 + 3000);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(slow.received().split('\r\n\r\n')[1]!).error.code).toBe('request_timeout');
    await expect.poll(() => logs.filter((l) => l.msg === 'client went away').length).toBe(1);
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('a connection that never sends a request is closed after REQUEST_TIMEOUT_MS', async () => {
    const { port } = await receiver({ REQUEST_TIMEOUT_MS: '1000' });
    const idle = await client(port);
    const opened = Date.now();
    await within(idle.closed, 10_000, 'the server to close the idle connection');
    expect(Date.now() - opened).toBeLessThan(1000 + 3000);
  });

  it('a keep-alive connection idle for longer than REQUEST_TIMEOUT_MS still takes the next webhook', async () => {
    const { port } = await receiver({ REQUEST_TIMEOUT_MS: '500' });
    const c = await client(port);
    const send = () => {
      const body = JSON.stringify(samplePayload());
      c.socket.write(webhookHead(Buffer.byteLength(body), sign(body, SECRET)) + body);
    };
    send();
    await expect.poll(() => c.received().match(/HTTP\/1\.1 200/g)?.length ?? 0).toBe(1);
    // Longer than the request limit, with nothing in flight: only keepAliveTimeout applies.
    await new Promise((r) => setTimeout(r, 1500));
    send();
    await expect.poll(() => c.received().match(/HTTP\/1\.1 200/g)?.length ?? 0).toBe(2);
  });
});

describe('connection limits', () => {
  it('connections beyond MAX_CONNECTIONS_PER_ADDRESS are closed at once; another address still gets 200', async () => {
    const { port, metrics } = await receiver({ MAX_CONNECTIONS_PER_ADDRESS: '5', REQUEST_TIMEOUT_MS: '9000' });
    const held = [];
    for (let i = 0; i < 8; i++) held.push(await client(port, '127.0.0.1'));
    const closed = new Set<number>();
    held.forEach((c, i) => void c.closed.then(() => closed.add(i)));
    await expect.poll(() => closed.size).toBe(3);
    expect(await refused(metrics, 'per_address')).toBe(3);
    expect(await signedWebhook(port, '127.0.0.2')).toMatch(/^HTTP\/1\.1 200 /);
    // A slot freed by a closed connection is available again.
    held.find((_c, i) => !closed.has(i))!.socket.destroy();
    await expect.poll(async () => (await signedWebhook(port, '127.0.0.1')).slice(0, 12)).toBe('HTTP/1.1 200');
  });

  it('a peer named in TRUST_PROXY is exempt from the per-address limit', async () => {
    const { port, metrics } = await receiver({ MAX_CONNECTIONS_PER_ADDRESS: '2', TRUST_PROXY: '127.0.0.3', REQUEST_TIMEOUT_MS: '9000' });
    for (let i = 0; i < 4; i++) await client(port, '127.0.0.3');
    expect(await signedWebhook(port, '127.0.0.3')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await refused(metrics, 'per_address')).toBe(0);
  });

  it('connections beyond MAX_CONNECTIONS are closed at once', async () => {
    const { port, metrics } = await receiver({ MAX_CONNECTIONS: '3', MAX_CONNECTIONS_PER_ADDRESS: '0', REQUEST_TIMEOUT_MS: '9000' });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await client(port));
    const extra = await client(port);
    await within(extra.closed, 5_000, 'the server to close the extra connection');
    expect(extra.received()).toBe('');
    expect(await refused(metrics, 'max_connections')).toBe(1);
  });
});

describe('failed-signature budget before the body', () => {
  it('once the budget is spent, a bad-signature POST is answered 429 before its body has arrived, and its connection closed', async () => {
    const { port } = await receiver({ SIGNATURE_FAILURES_PER_MINUTE: '2', REQUEST_TIMEOUT_MS: '9000' });
    const body = JSON.stringify(samplePayload());
    for (let i = 0; i < 2; i++) {
      const bad = await client(port);
      bad.socket.write(webhookHead(Buffer.byteLength(body)) + body);
      await expect.poll(() => bad.received()).toMatch(/^HTTP\/1\.1 401 /);
    }
    const big = await client(port);
    // A fraction of the announced body, and never the rest.
    big.socket.write(webhookHead(200_000) + '{"a":"' + 'x'.repeat(1000));
    await within(big.closed, 5_000, 'the server to answer and close');
    expect(big.received()).toMatch(/^HTTP\/1\.1 429 /);
    expect(big.received()).toMatch(/^retry-after: \d+\r$/im);
    expect(big.received()).toMatch(/^connection: close\r$/im);
  });
});

describe('clients that go away', () => {
  it('a client that resets mid-body is logged once at debug, not as an error', async () => {
    const { app, port, logs } = await receiver({});
    const c = await client(port);
    // Reset once the server has the request, so both the socket and the request report it.
    const started = new Promise((resolve) => app.server.once('request', resolve));
    c.socket.write(webhookHead(10_000) + '{"a":"');
    await started;
    c.socket.resetAndDestroy();
    await expect.poll(() => logs.filter((l) => l.msg === 'client went away').length).toBe(1);
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('a reset inside the server (a dependency) while the client waits is still an error', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { port, logs } = await receiver({}, async () => Promise.reject(reset));
    expect(await signedWebhook(port)).toMatch(/^HTTP\/1\.1 500 /);
    expect(logs.filter((l) => l.level === 50 && l.msg === 'unexpected error')).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'client went away')).toEqual([]);
  });
});
