// Measures `reply-analytics report --detail` on synthetic data: wall time, rows per second and
// peak memory (maximum resident set size, from /usr/bin/time -v) of the exporting process.
// Prints numbers; gates nothing.
//   npx tsx reports/measure-export.ts [rows=1000000]
// Each export runs as its own CLI process on a directory nothing else holds, exactly as a user
// runs it; the rows are generated first inside the engine (INSERT ... SELECT FROM numbers()).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ChdbStore } from '../store/chdb-store.js';
import { insertSyntheticReplies } from './synthetic-replies.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/reply-analytics.js');
const TIME = '/usr/bin/time';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aksita-measure-'));
  try {
    let started = Date.now();
    const store = await ChdbStore.open(dir);
    await store.migrate();
    await insertSyntheticReplies(store, rows);
    await store.close();
    console.log(`generated ${rows.toLocaleString('en-US')} replies in ${Date.now() - started} ms (node ${process.version}, ${os.cpus().length} CPUs)`);

    // Synthetic replies are 2.5 s apart from 2026-01-01 00:00 UTC; three days hold about 100k.
    const lastDay = new Date(Date.UTC(2026, 0, 1) + rows * 2500).toISOString().slice(0, 10);
    const ranges = [
      { label: '3 days', to: '2026-01-03' },
      { label: 'all', to: lastDay },
    ];
    console.log('\nformat   range    rows        seconds  rows/s      file MB  peak RSS MB');
    const runs = [
      // The floor: the same process exporting nothing (Node, tsx, the chDB engine loaded).
      { format: 'csv', range: { label: 'empty', from: '2020-01-01', to: '2020-01-01' } },
      ...['csv', 'json', 'parquet'].flatMap((format) => ranges.map((range) => ({ format, range: { ...range, from: '2026-01-01' } }))),
    ];
    for (const { format, range } of runs) {
      const out = path.join(dir, `detail.${format}`);
      const args = [BIN, 'report', '--detail', '--from', range.from, '--to', range.to, '--tz', 'UTC', '--format', format, '--out', out];
      const timed = existsSync(TIME);
      started = Date.now();
      const { stderr } = await run(timed ? TIME : process.execPath, timed ? ['-v', process.execPath, ...args] : args, {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dir },
        maxBuffer: 16 * 1024 * 1024,
      });
      const seconds = (Date.now() - started) / 1000;
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
      const count = range.label === 'empty' ? 0 : expectedRows(rows, range.to);
      const size = (await stat(out)).size / 1_048_576;
      console.log(
        `${format.padEnd(8)} ${range.label.padEnd(8)} ${count.toLocaleString('en-US').padEnd(11)} ${seconds.toFixed(2).padStart(7)}  ${(count ? Math.round(count / seconds).toLocaleString('en-US') : '-').padEnd(11)} ${size.toFixed(1).padStart(7)}  ${rss ? (Number(rss) / 1024).toFixed(0) : 'n/a'}`,
      );
      await rm(out);
    }
    console.log('\nseconds and peak RSS are for the whole CLI process: start-up (about 1 s), opening chDB, the export.');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rows in [2026-01-01, end of `to`] of the synthetic data, one every 2.5 s. */
function expectedRows(total: number, to: string): number {
  const end = Date.parse(`${to}T00:00:00Z`) + 86_400_000;
  return Math.min(total, Math.ceil((end - Date.UTC(2026, 0, 1)) / 2500));
}

await main();
