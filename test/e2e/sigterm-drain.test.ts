// SIGTERM in the middle of a stream of signed webhooks: the process exits 0 having stored every
// acknowledged reply, so `sql` on the stopped DATA_DIR counts each one once, with no restart
// replaying the log first.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { samplePayload, sign } from '../helpers/sign.js';
import { BIN, ROOT, startPipeline, type PipelineProcess } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'sigterm-secret';
const TOTAL = 4_000;
const CONCURRENCY = 32;
const run = promisify(execFile);

async function send(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) }, body });
  await res.arrayBuffer();
  return res.status;
}

describe('SIGTERM under load', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: PipelineProcess | undefined;

  beforeAll(async () => {
    dir = await tempDir('sigterm-drain-');
  });
  afterAll(async () => {
    if (p && (p.child.exitCode ?? p.child.signalCode) === null) p.child.kill('SIGKILL');
    await dir.remove();
  });

  it('exits 0 with every acknowledged reply stored and committed, before any restart', async () => {
    // Small batches: the consumer falls behind the receiver, so the log holds a backlog at SIGTERM.
    const pipeline = await startPipeline(dir.path, { WEBHOOK_SECRET: SECRET, BATCH_MAX_ROWS: '20', BATCH_MAX_WAIT_MS: '1000' });
    p = pipeline;
    const ids = Array.from({ length: TOTAL }, () => String(samplePayload().message_id));
    const acked = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          const status = await send(pipeline.url, JSON.stringify(samplePayload({ message_id: id }))).catch(() => 0);
          if (status !== 200) continue;
          acked.add(id);
          if (acked.size === TOTAL / 4) pipeline.child.kill('SIGTERM');
        }
      }),
    );
    expect(await pipeline.exited).toBe(0);
    expect(acked.size).toBeGreaterThanOrEqual(TOTAL / 4);

    // Straight from DATA_DIR: the process is gone and nothing has replayed its log.
    const { stdout } = await run(process.execPath, [BIN, 'sql', '--format', 'TSV', 'SELECT message_id, count() FROM aksita.human_agent_replies GROUP BY message_id'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dir.path },
    });
    const stored = new Map(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t') as [string, string]),
    );
    expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
    expect([...stored].filter(([, n]) => n !== '1')).toEqual([]);

    // And the log agrees: its consumer position is at its end, nothing left to replay.
    const log = await EmbeddedLog.open({ dir: path.join(dir.path, 'queue') });
    try {
      expect(log.backlog).toBe(0);
    } finally {
      await log.close();
    }
  });
});
