// A webhook that arrives while the receiver drains for shutdown: Aksita never retries, so it is
// taken (and the connection closed after it) rather than refused; the process stops accepting
// new connections, and the queue is closed only after the drain.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createMetrics } from '../../core/metrics.js';
import { buildApp } from '../../ingest/app.js';
import type { Envelope } from '../../queue/envelope.js';
import type { Publisher } from '../../queue/publisher.js';
import { samplePayload, sign } from '../helpers/sign.js';

const SECRET = 'shutdown-secret';

/** A publisher that holds the first event until released (the queue itself is irrelevant here). */
function holdingPublisher() {
  const published: Envelope[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const publisher: Publisher = {
    publish: async (envelope) => {
      if (published.push(envelope) === 1) await held;
    },
    ready: true,
    close: async () => {},
  };
  return { publisher, published, release };
}

function request(body: string): string {
  return ['POST /webhook HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', `X-Webhook-Signature: ${sign(body, SECRET)}`, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join(
    '\r\n',
  );
}

describe('shutdown', () => {
  it('a webhook that comes on an open connection after close() started is still accepted, with Connection: close', async () => {
    const { publisher, published, release } = holdingPublisher();
    const app = await buildApp({ config: loadConfig({ WEBHOOK_SECRET: SECRET }), publisher, metrics: createMetrics({ defaultMetrics: false }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const socket = net.connect((app.server.address() as net.AddressInfo).port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    let closing: Promise<void> | undefined;
    try {
      socket.write(request(JSON.stringify(samplePayload())));
      await expect.poll(() => published.length).toBe(1);
      // The first is in flight, so close() waits for it; the second comes on the same connection meanwhile.
      closing = app.close();
      socket.write(request(JSON.stringify(samplePayload())));
      await expect.poll(() => published.length).toBe(2);
    } catch (err) {
      release(); // close() waits for the held request: do not leave it hanging when this fails
      socket.destroy();
      throw err;
    }
    release();
    await closing;
    await ended;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200]);
    expect(published).toHaveLength(2);
    expect(received.split('HTTP/1.1 ')[2]).toMatch(/^connection: close\r$/im);
  });

  it('while draining, every answer closes its connection, so a keep-alive client stops reusing it before close()', async () => {
    const { publisher, published, release } = holdingPublisher();
    release(); // nothing held here
    const app = await buildApp({ config: loadConfig({ WEBHOOK_SECRET: SECRET }), publisher, metrics: createMetrics({ defaultMetrics: false }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const socket = net.connect((app.server.address() as net.AddressInfo).port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(request(JSON.stringify(samplePayload())));
      await expect.poll(() => received.includes('{"received":true}')).toBe(true);
      expect(received).toMatch(/^connection: keep-alive\r$/im);
      app.drain();
      socket.write(request(JSON.stringify(samplePayload())));
      await ended; // the server closed the connection after answering
      const answers = received.split('HTTP/1.1 ').filter(Boolean);
      expect(answers.map((a) => a.slice(0, 3))).toEqual(['200', '200']);
      expect(answers[1]).toMatch(/^connection: close\r$/im);
      expect(published).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
  it('while draining, /readyz answers 503 so a load balancer stops sending new connections', async () => {
    const { publisher, release } = holdingPublisher();
    release();
    const app = await buildApp({ config: loadConfig({ WEBHOOK_SECRET: SECRET }), publisher, metrics: createMetrics({ defaultMetrics: false }) });
    try {
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      app.drain();
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ ready: false, checks: { queue: true, shutting_down: false } });
    } finally {
      await app.close();
    }
  });
});
