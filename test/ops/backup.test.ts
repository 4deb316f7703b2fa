// Backup of a running process while webhooks keep arriving, restored into a new DATA_DIR: the
// restored store answers the report views and the rollup as the source does for everything
// stored before the backup, and a backup taken when quiet answers every one identically.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { cli, sendReply } from './cli.js';

const AGENTS = ['sales', 'support', 'billing'];
const PRELOAD = 300;
const views = (from: string, to: string) => [
  `SELECT * FROM aksita.daily_agent_summary(tz = 'Asia/Jakarta', from = '${from}', to = '${to}') ORDER BY day, agent`,
  `SELECT * FROM aksita.conversation_summary(tz = 'UTC', from = '${from}', to = '${to}') ORDER BY agent, conversation_id`,
  `SELECT * FROM aksita.latency_percentiles(tz = 'UTC', from = '${from}', to = '${to}') ORDER BY agent`,
  `SELECT * FROM aksita.credit_usage(tz = 'UTC', from = '${from}', to = '${to}') ORDER BY day, agent`,
  `SELECT count(), sum(remaining_credits) FROM aksita.human_agent_replies FINAL WHERE event_time >= '${from}' AND event_time < '${to}'`,
  // The rollup the dashboards read: conversations and balances per five minutes.
  `SELECT agent, bucket, uniqExactMerge(conversations), min(first), max(latest), max(highest) FROM aksita.replies_5m
   WHERE bucket >= '${from}' AND bucket < '${to}' GROUP BY agent, bucket ORDER BY agent, bucket`,
];

let source: Awaited<ReturnType<typeof tempDir>>;
let p: PipelineProcess;
const scratch: Awaited<ReturnType<typeof tempDir>>[] = [];
let loadSent = 0;
const stored = async () => Number((await p.query('SELECT count() FROM aksita.human_agent_replies')).trim());

beforeAll(async () => {
  source = await tempDir();
  p = await startPipeline(source.path, { ALLOW_UNSIGNED: 'true' });
  for (let i = 0; i < PRELOAD; i++) {
    const minute = String(i % 60).padStart(2, '0');
    await sendReply(
      p.url,
      { conversation_id: `c${i % 17}`, message_id: `pre-${i}`, remaining_credits: 10_000 - i, timestamp: `2026-03-02T${String(8 + (i % 9)).padStart(2, '0')}:${minute}:00+07:00` },
      AGENTS[i % 3],
    );
  }
  await waitFor(async () => (await stored()) === PRELOAD, 'the preloaded replies to be stored');
});
afterAll(async () => {
  p.child.kill('SIGKILL');
  await p.exited;
  for (const d of [source, ...scratch]) await d.remove();
});

async function restoreInto(file: string): Promise<string> {
  const target = await tempDir();
  scratch.push(target);
  const out = await cli(target.path, ['restore', file, '--json']);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  return target.path;
}

async function answers(dataDir: string | undefined, queries: string[]): Promise<string[]> {
  const result: string[] = [];
  for (const q of queries) {
    if (dataDir === undefined) result.push(await p.query(q));
    else {
      const out = await cli(dataDir, ['sql', q, '--format', 'TSV']);
      if (out.code !== 0) throw new Error(out.stderr);
      result.push(out.stdout);
    }
  }
  return result;
}

describe('backup and restore', () => {
  it('a backup under load restores into a new DATA_DIR with the same answers for what it holds', async () => {
    let sending = true;
    let sent = 0;
    const load = (async () => {
      while (sending) {
        await sendReply(p.url, { conversation_id: `l${sent % 11}`, message_id: `load-${sent}`, timestamp: `2026-03-05T10:${String(sent % 60).padStart(2, '0')}:00Z` }, AGENTS[sent % 3]);
        sent += 1;
      }
    })();
    await waitFor(async () => (await stored()) > PRELOAD + 20, 'load to be stored while it runs');
    const file = path.join(source.path, 'under-load.tar.zst');
    const backup = await cli(source.path, ['backup', '--out', file, '--json']);
    const sentDuringBackup = sent;
    sending = false;
    await load;
    loadSent = sent;
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ file, bytes: (await stat(file)).size });
    expect(sentDuringBackup).toBeGreaterThan(20);

    const restored = await restoreInto(file);
    // The day stored before the backup: every view and the rollup answer as the source does.
    expect(await answers(restored, views('2026-03-02', '2026-03-03'))).toEqual(await answers(undefined, views('2026-03-02', '2026-03-03')));
    // Of the load, what the backup held: a consistent cut, the rollup agreeing with its own rows.
    const [count] = await answers(restored, ["SELECT count() FROM aksita.human_agent_replies WHERE message_id LIKE 'load-%'"]);
    expect(Number(count)).toBeGreaterThan(20);
    const rollupVsTable = `SELECT (SELECT sum(c) FROM (SELECT uniqExactMerge(conversations) AS c FROM aksita.replies_5m GROUP BY agent, bucket))
      = (SELECT sum(c) FROM (SELECT uniqExact(conversation_id) AS c FROM aksita.human_agent_replies GROUP BY agent, toStartOfInterval(toDateTime(event_time), INTERVAL 300 second)))`;
    expect(await answers(restored, [rollupVsTable])).toEqual(['1\n']);
  });

  it('a quiet backup answers every view identically over the whole range', async () => {
    await waitFor(async () => (await stored()) === PRELOAD + loadSent, 'every accepted reply to be stored');
    const file = path.join(source.path, 'quiet.tar.zst');
    expect((await cli(source.path, ['backup', '--out', file])).stdout).toMatch(/^Backed up aksita to .* MB\) in [\d.]+ s\n$/);
    const restored = await restoreInto(file);
    expect(await answers(restored, views('2026-03-01', '2026-03-07'))).toEqual(await answers(undefined, views('2026-03-01', '2026-03-07')));
  });
});
