// A real process whose log directory is a small tmpfs that the test fills and then frees: the
// receiver answers 503 while the disk is full and 200 again once space returns, without a
// restart, and every acknowledged reply is stored once (real chDB).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePayload, sign } from '../helpers/sign.js';
import { startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fill, mountTmpfs, unmount } from '../helpers/tmpfs.js';

const SECRET = 'full-disk-secret';

async function send(url: string): Promise<{ status: number; code?: string; id: string }> {
  const payload = samplePayload();
  const body = JSON.stringify(payload);
  const res = await fetch(`${url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) }, body });
  const answer = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: answer.error?.code, id: String(payload.message_id) };
}

describe('a full disk under the embedded log', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let queueDir: string;
  let mounted = false;
  let pipeline: PipelineProcess | undefined;

  beforeAll(async () => {
    dir = await tempDir('full-disk-');
    queueDir = path.join(dir.path, 'queue');
    await mkdir(queueDir);
    mounted = mountTmpfs(queueDir, '2m', '[full-disk] skipped (test/queue/embedded-log-repair.test.ts and test/consumer/full-disk-consumer.test.ts cover it with an injected ENOSPC instead)');
  });
  afterAll(async () => {
    if (pipeline && (pipeline.child.exitCode ?? pipeline.child.signalCode) === null) {
      pipeline.child.kill('SIGKILL');
      await pipeline.exited;
    }
    if (mounted) unmount(queueDir);
    await dir.remove();
  });

  it('503 not_durable while full, 200 again once space returns, every acknowledged reply stored once', async (ctx) => {
    if (!mounted) return ctx.skip();
    pipeline = await startPipeline(dir.path, { WEBHOOK_SECRET: SECRET, BATCH_MAX_WAIT_MS: '50' });
    const acked = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await send(pipeline.url);
      expect(r.status).toBe(200);
      acked.add(r.id);
    }

    const filler = path.join(queueDir, 'filler');
    await fill(filler);
    // The segment's last page may still take a record or two; then the disk is full.
    let refused: { status: number; code?: string } | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await send(pipeline.url);
      if (r.status === 200) acked.add(r.id);
      else refused = r;
    }
    expect(refused).toEqual({ status: 503, code: 'not_durable', id: expect.any(String) });
    // Still refused while full, repairs or not. (A record small enough for what is left of the
    // last page may still fit: acknowledged, it must be stored like any other.)
    const whileFull: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await send(pipeline.url);
      if (r.status === 200) acked.add(r.id);
      whileFull.push(r.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(whileFull).toContain(503);
    expect(whileFull.filter((s) => s !== 503 && s !== 200)).toEqual([]);

    await rm(filler);
    let back = false;
    await waitFor(async () => {
      const r = await send(pipeline!.url);
      if (r.status === 200) acked.add(r.id);
      return (back = r.status === 200);
    }, 'the receiver to answer 200 again');
    expect(back).toBe(true);
    // The process logs it as the first write succeeds, so the line may reach us after that 200.
    await waitFor(async () => pipeline!.output().includes('the local log is writable again'), 'the log line saying it is writable again', 10_000);
    for (let i = 0; i < 20; i++) {
      const r = await send(pipeline.url);
      expect(r.status).toBe(200);
      acked.add(r.id);
    }

    const countsById = async () => {
      const out = await pipeline!.query('SELECT message_id, count() FROM aksita.human_agent_replies GROUP BY message_id');
      return new Map(
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t') as [string, string]),
      );
    };
    await waitFor(async () => {
      const now = await countsById();
      return [...acked].every((id) => now.has(id));
    }, 'every acknowledged reply to be stored');
    const stored = await countsById();
    // Exactly the acknowledged ones, each once: nothing refused was stored, nothing twice.
    expect(new Set(stored.keys())).toEqual(acked);
    expect([...stored.values()].filter((n) => n !== '1')).toEqual([]);

    pipeline.child.kill('SIGTERM');
    expect(await pipeline.exited).toBe(0);
  });
});
