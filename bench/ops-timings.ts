// Operating the data at scale: backup, restore, erasure and dead-letter replay on N generated
// replies (default 1,000,000) in the embedded store. npx tsx bench/ops-timings.ts [N]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { replayDeadLetters } from '../consumer/replay-dead-letters.js';
import { backupStore, restoreStore } from '../store/backup.js';
import { ChdbStore } from '../store/chdb-store.js';
import { erase } from '../store/erase.js';
import { generateRows } from './generate-rows.js';

const n = Number(process.argv[2] ?? 1_000_000);
const ms = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const result = await work();
  return [result, Math.round(performance.now() - t)];
};
const scalar = async (store: ChdbStore, sql: string) => (await store.query(sql, { format: 'TSVRaw' })).toString('utf8').trim();
const summary = `SELECT cityHash64(groupArray(tuple(*))) FROM (SELECT * FROM aksita.daily_agent_summary(tz = 'UTC', from = '2026-03-01', to = '2026-03-10') ORDER BY day, agent)`;

const root = await mkdtemp(path.join(os.tmpdir(), 'aksita-ops-bench-'));
try {
  const source = await ChdbStore.open(path.join(root, 'source'));
  await source.migrate();
  const [, generateMs] = await ms(() => generateRows(source, n));
  await source.query('OPTIMIZE TABLE aksita.human_agent_replies FINAL', { format: 'TSV' });
  const [removed, eraseMs] = await ms(() => erase(source, { conversationId: 'sales-42', agent: 'sales' }));
  const [replay, replayMs] = await ms(() => replayDeadLetters(source, { dryRun: true }));
  const [backup, backupMs] = await ms(() => backupStore(source, path.join(root, 'source')));
  const before = await scalar(source, summary);
  await source.close();

  const target = await ChdbStore.open(path.join(root, 'target'));
  const [counts, restoreMs] = await ms(() => restoreStore(target, path.join(root, 'target'), backup.file));
  await target.migrate();
  const after = await scalar(target, summary);
  await target.close();
  console.log(
    JSON.stringify(
      {
        replies: n,
        generateMs,
        erase: { ...removed, ms: eraseMs },
        deadLetterReplayDryRun: { looked: replay.replayed + Object.values(replay.stillFailing).reduce((a, f) => a + f.count, 0), ms: replayMs },
        backup: { mb: +(backup.bytes / 1_048_576).toFixed(1), ms: backupMs },
        restore: { ...counts, ms: restoreMs, sameDailySummary: before === after },
      },
      null,
      2,
    ),
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
