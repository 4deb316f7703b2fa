// A slow-client attack on a real `reply-analytics start`: hundreds of connections that announce
// a large body and send a byte a second. The receiver must cut each near REQUEST_TIMEOUT_MS,
// keep taking signed webhooks within Aksita's timeout meanwhile, and not log the aborts as
// errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type PipelineProcess } from '../helpers/pipeline-process.js';
import { samplePayload, sign } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';
import { rawClient, webhookHead, within, type RawClient } from './raw-http.js';

const SECRET = 's';
const REQUEST_TIMEOUT_MS = 2_000;
/** Aksita gives up on a webhook after this long, and never retries. */
const AKSITA_TIMEOUT_MS = 10_000;
const SLOW_CLIENTS = 300;
// Spread over a few loopback addresses, each under the default per-address limit, as a
// distributed attack would be; the webhooks come from yet another address.
const SLOW_ADDRESSES = ['127.0.0.10', '127.0.0.11', '127.0.0.12'];
/** How long the attack lasts: long enough for every slow client to be cut and come back. */
const ATTACK_MS = REQUEST_TIMEOUT_MS * 3;
const MAX_SLOW_CONNECTIONS = SLOW_CLIENTS * 5;
const MAX_WEBHOOKS = 2_000;

let dir: Awaited<ReturnType<typeof tempDir>>;
let pipeline: PipelineProcess;

beforeAll(async () => {
  dir = await tempDir();
  pipeline = await startPipeline(dir.path, { WEBHOOK_SECRET: SECRET, REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), LOG_LEVEL: 'debug', QUERY_PORT: '0' });
});

afterAll(async () => {
  if (pipeline) {
    pipeline.child.kill('SIGTERM');
    await pipeline.exited;
  }
  await dir?.remove();
});

/** A webhook signed as Aksita signs it, with Aksita's timeout; resolves with the status. */
async function signedWebhook(url: string): Promise<number> {
  const body = JSON.stringify(samplePayload());
  const res = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) },
    body,
    signal: AbortSignal.timeout(AKSITA_TIMEOUT_MS),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('slow clients against a running receiver', () => {
  it('slow bodies are cut near REQUEST_TIMEOUT_MS while signed webhooks keep getting 200', { timeout: 60_000 }, async () => {
    const port = Number(new URL(pipeline.url).port);
    const slow: { client: RawClient; openedAt: number; closedAt?: number }[] = [];
    let attacking = true;
    // Each slow client that is cut comes back at once while the attack lasts, so the receiver
    // is held at SLOW_CLIENTS open slow connections throughout.
    const open = async (address: string): Promise<void> => {
      if (!attacking || slow.length >= MAX_SLOW_CONNECTIONS) return;
      const client = await rawClient(port, address);
      const entry: (typeof slow)[number] = { client, openedAt: Date.now() };
      slow.push(entry);
      client.socket.write(webhookHead(100_000));
      void client.closed.then(() => {
        entry.closedAt = Date.now();
        return open(address);
      });
    };
    const trickle = setInterval(() => {
      for (const s of slow) if (s.client.socket.writable) s.client.socket.write('x');
    }, 1_000);
    try {
      for (let i = 0; i < SLOW_CLIENTS; i++) await open(SLOW_ADDRESSES[i % SLOW_ADDRESSES.length]!);

      // Meanwhile, Aksita: one signed webhook at a time, for as long as the attack lasts.
      const statuses: number[] = [];
      const attackEnds = Date.now() + ATTACK_MS;
      while (Date.now() < attackEnds && statuses.length < MAX_WEBHOOKS) statuses.push(await signedWebhook(pipeline.url));
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect((await fetch(`${pipeline.url}/readyz`, { signal: AbortSignal.timeout(AKSITA_TIMEOUT_MS) })).status).toBe(200);
      attacking = false;

      // Every slow connection is closed by the server, none held far beyond the limit (Node
      // checks for expired requests periodically, and the machine is busy: a generous bound).
      await within(Promise.all(slow.map((s) => s.client.closed)), REQUEST_TIMEOUT_MS * 5, 'the server to close every slow connection');
      expect(slow.length).toBeGreaterThan(SLOW_CLIENTS);
      expect(Math.max(...slow.map((s) => s.closedAt! - s.openedAt))).toBeLessThan(REQUEST_TIMEOUT_MS * 3);
      expect(slow.filter((s) => !/^HTTP\/1\.1 408 /.test(s.client.received()))).toHaveLength(0);
    } finally {
      attacking = false;
      clearInterval(trickle);
      for (const s of slow) s.client.socket.destroy();
    }

    // The aborts are debug lines from unauthenticated clients (one per connection), never errors.
    const lines = () =>
      pipeline
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string });
    await expect.poll(() => lines().filter((l) => l.msg === 'client went away').length).toBe(slow.length);
    expect(lines().filter((l) => l.level >= 50)).toEqual([]);
  });

  it('the per-address connection limit holds on the running receiver', async () => {
    const port = Number(new URL(pipeline.url).port);
    // Beyond the default MAX_CONNECTIONS_PER_ADDRESS, from one address.
    const idle: RawClient[] = [];
    try {
      for (let i = 0; i < 130; i++) idle.push(await rawClient(port, '127.0.0.20'));
      // Refused ones are closed with nothing sent; the rest get 408 once REQUEST_TIMEOUT_MS is up.
      const refused = new Set<RawClient>();
      for (const c of idle) void c.closed.then(() => c.received() === '' && refused.add(c));
      await expect.poll(() => refused.size).toBe(2);
      expect(await signedWebhook(pipeline.url)).toBe(200);
    } finally {
      for (const c of idle) c.socket.destroy();
    }
  });
});
