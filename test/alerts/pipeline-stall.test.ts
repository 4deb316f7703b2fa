// A stall made by stopping the consumer, in a real `reply-analytics start`: chDB's directory
// (DATA_DIR/chdb) is a small tmpfs that the test fills, so every insert fails while the queue
// (DATA_DIR/queue, on the normal disk) keeps accepting. The pipeline-stalled rule must fire from
// the process's own queue watch (the store cannot show replies it never got), resolve once the
// space is back and the consumer catches up, and every accepted reply must be stored once.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { samplePayload, sign } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fill, mountTmpfs, unmount } from '../helpers/tmpfs.js';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.js';

const SECRET = 'stall-secret';
// Evaluations take a second each; the rule fires a minute after the first reply that waits.
const STALL_TIMEOUT_MS = 150_000;

async function post(p: PipelineProcess): Promise<string | undefined> {
  const payload = samplePayload();
  const body = JSON.stringify(payload);
  const res = await fetch(`${p.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) }, body });
  await res.text();
  return res.status === 200 ? String(payload.message_id) : undefined;
}

/** When the process last evaluated the rules (its state file), or null before the first time. */
const evaluatedAt = async (dir: string) => (JSON.parse(await readFile(path.join(dir, 'run/alerts.json'), 'utf8')) as { evaluatedAt: string }).evaluatedAt;

async function metric(p: PipelineProcess, name: string): Promise<number> {
  const text = await (await fetch(`${p.queryUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('pipeline-stalled, with the consumer stopped by a full store disk', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let chdbDir: string;
  let mounted = false;
  let receiver: WebhookReceiver;
  let pipeline: PipelineProcess | undefined;

  beforeAll(async () => {
    dir = await tempDir('aksita-stall-');
    chdbDir = path.join(dir.path, 'chdb');
    await mkdir(chdbDir, { recursive: true });
    // Room for the schema and the first replies; the filler takes the rest.
    mounted = mountTmpfs(chdbDir, '64m', '[pipeline-stall] skipped (test/alerts/queue-stall-probe.test.ts covers the detection on its own)');
    receiver = await startReceiver();
  });
  afterAll(async () => {
    if (pipeline && (pipeline.child.exitCode ?? pipeline.child.signalCode) === null) {
      pipeline.child.kill('SIGKILL');
      await pipeline.exited;
    }
    await receiver?.close();
    if (mounted) unmount(chdbDir);
    await dir.remove();
  });

  it('fires while accepted replies wait, resolves once they are stored, each reply stored once', { timeout: 4 * STALL_TIMEOUT_MS }, async (ctx) => {
    if (!mounted) return ctx.skip();
    pipeline = await startPipeline(dir.path, {
      WEBHOOK_SECRET: SECRET,
      BATCH_MAX_WAIT_MS: '50',
      ALERT_WEBHOOK_URL: receiver.url,
      ALERT_WEBHOOK_FORMAT: 'generic',
      ALERT_WEBHOOK_SECRET: 'stall-alert-key',
      ALERT_INTERVAL_SECONDS: '1',
      ALERT_STALL_MINUTES: '1',
    });
    const p = pipeline;
    const accepted = new Set<string>();
    const send = async () => {
      const id = await post(p);
      expect(id, 'the receiver accepts while the store is full').toBeDefined();
      accepted.add(id!);
    };
    const storedCount = async () => Number((await p.query('SELECT count() FROM aksita.human_agent_replies')).trim());
    const stalledNotes = () => receiver.received.map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((n) => n.rule === 'pipeline-stalled');
    // One reply per evaluation: replies keep arriving all through the stall, as they would.
    let lastEvaluation: string | null = null;
    const sendEachEvaluation = async () => {
      const at = await evaluatedAt(dir.path).catch(() => null);
      if (at !== lastEvaluation) {
        lastEvaluation = at;
        await send();
      }
    };
    const sendingUntil = (check: () => Promise<boolean>, what: string) => waitFor(async () => (await sendEachEvaluation(), check()), what, STALL_TIMEOUT_MS);

    for (let i = 0; i < 5; i++) await send();
    await waitFor(async () => (await storedCount()) === 5, 'the first replies to be stored');

    const filler = path.join(chdbDir, 'filler');
    await fill(filler);
    const failuresBefore = await metric(p, 'aksita_store_failures_total');
    await send();
    await waitFor(async () => (await metric(p, 'aksita_store_failures_total')) > failuresBefore, 'an insert to fail on the full disk');

    await sendingUntil(async () => stalledNotes().length > 0, 'the pipeline-stalled notification');
    expect(await storedCount(), 'nothing was stored while the disk was full').toBe(5);
    expect(stalledNotes()).toEqual([expect.objectContaining({ state: 'firing', labels: { check: 'queue_backlog' }, endsAt: null })]);
    const firing = stalledNotes()[0] as { value: number; values: { backlog: number } };
    expect(firing.value).toBeGreaterThanOrEqual(1);
    expect(firing.values.backlog).toBeGreaterThan(0);

    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'alerts', '--json'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dir.path, ALERT_STALL_MINUTES: '1' } });
    const listed = JSON.parse(stdout) as { source: string; rules: { id: string; state: string; firing: { labels: Record<string, string> }[] }[] };
    expect(listed.source).toMatch(/running process/);
    expect(listed.rules.find((r) => r.id === 'pipeline-stalled')).toMatchObject({ state: 'firing', firing: [{ labels: { check: 'queue_backlog' } }] });

    // Space again: the consumer's retry stores the backlog, and the rule resolves.
    await rm(filler);
    await sendingUntil(async () => stalledNotes().length > 1, 'the resolved notification');
    expect(stalledNotes()[1]).toMatchObject({ state: 'resolved', labels: { check: 'queue_backlog' } });
    // The replies stored late must not start a second alert after the stall has ended.
    const resolvedAt = await evaluatedAt(dir.path);
    for (let i = 0; i < 3; i++) {
      const before = await evaluatedAt(dir.path);
      await waitFor(async () => (await evaluatedAt(dir.path)) !== before, 'another evaluation');
    }
    expect(await evaluatedAt(dir.path)).not.toBe(resolvedAt);
    expect(stalledNotes().map((n) => [n.state, (n.labels as Record<string, string>).check])).toEqual([
      ['firing', 'queue_backlog'],
      ['resolved', 'queue_backlog'],
    ]);

    const counts = async () =>
      new Map(
        (await p.query('SELECT message_id, count() FROM aksita.human_agent_replies GROUP BY message_id'))
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t') as [string, string]),
      );
    await waitFor(async () => (await counts()).size === accepted.size, 'every accepted reply to be stored');
    const stored = await counts();
    expect(new Set(stored.keys())).toEqual(accepted);
    expect([...stored.values()].filter((n) => n !== '1')).toEqual([]);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
