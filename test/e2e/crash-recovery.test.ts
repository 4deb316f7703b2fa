// End to end through real processes: every webhook that got a 200 is stored exactly once,
// even when the process is SIGKILLed mid-stream and bodies are sent twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePayload, sign } from '../helpers/sign.js';
import { startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'e2e-secret';
const TOTAL = 2_000;
const CONCURRENCY = 32;

async function send(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends bodies from concurrent clients; calls onAck after each 200. Errors count as not acknowledged. */
async function sendAll(url: string, bodies: string[], onAck: (body: string, acked: number) => void): Promise<void> {
  let next = 0;
  let acked = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const status = await send(url, body).catch(() => 0);
        if (status === 200) onAck(body, ++acked);
      }
    }),
  );
}

const idOf = (body: string) => (JSON.parse(body) as { message_id: string }).message_id;

async function countsById(p: PipelineProcess): Promise<Map<string, number>> {
  const out = await p.query('SELECT message_id, count() FROM aksita.human_agent_replies GROUP BY message_id');
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [id, n] = l.split('\t');
        return [id!, Number(n)];
      }),
  );
}

describe('SIGKILL in the middle of 2,000 signed webhooks', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const running: PipelineProcess[] = [];

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    await dir.remove();
  });

  it('every acknowledged reply is stored exactly once after restart, duplicates included', async () => {
    const env = { WEBHOOK_SECRET: SECRET, BATCH_MAX_WAIT_MS: '50' };
    const first = await startPipeline(dir.path, env);
    running.push(first);

    // One body in ten is sent a second time later in the stream: same bytes, same signature.
    const unique = Array.from({ length: TOTAL * 0.9 }, () => JSON.stringify(samplePayload({ conversation_id: `c-${Math.floor(Math.random() * 50)}` })));
    const bodies = [...unique];
    for (let i = 0; i < TOTAL * 0.1; i++) bodies.splice(200 + i * 9, 0, unique[i * 5]!);
    const acknowledged = new Set<string>();
    await sendAll(first.url, bodies, (body, acked) => {
      acknowledged.add(idOf(body));
      if (acked === 900) first.child.kill('SIGKILL');
    });
    expect(await first.exited).toBe('SIGKILL');
    expect(acknowledged.size).toBeGreaterThanOrEqual(800);
    expect(acknowledged.size).toBeLessThan(unique.length);

    const second = await startPipeline(dir.path, env);
    running.push(second);
    let stored = new Map<string, number>();
    await waitFor(async () => {
      stored = await countsById(second);
      return [...acknowledged].every((id) => stored.has(id));
    }, 'acknowledged replies to be stored');
    const missing = [...acknowledged].filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    const repeated = [...stored].filter(([, n]) => n !== 1);
    expect(repeated).toEqual([]);

    // Replaying acknowledged bodies after the restart (as a retrying proxy might) adds nothing.
    const replays = unique.filter((b) => acknowledged.has(idOf(b))).slice(0, 100);
    for (const body of replays) expect(await send(second.url, body)).toBe(200);
    const last = unique.slice(-50);
    await sendAll(second.url, last, () => {});
    // All of them, not the last sent: sent concurrently, they reach the log in any order.
    await waitFor(async () => {
      const now = await countsById(second);
      return last.every((b) => now.has(idOf(b)));
    }, 'the new replies to be stored');
    stored = await countsById(second);
    expect([...stored].filter(([, n]) => n !== 1)).toEqual([]);
    const [total] = (await second.query('SELECT count() FROM aksita.human_agent_replies')).split('\n');
    expect(Number(total)).toBe(stored.size);

    // Clean shutdown: SIGTERM exits 0.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
