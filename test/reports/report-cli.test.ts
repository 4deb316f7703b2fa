// `reply-analytics report` as a user runs it: exit code 2 with a clear message for bad
// arguments, direct exports when no process holds DATA_DIR, and the same bytes through the
// running process when one does.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReportRequest } from '../../reports/report-params.js';
import { insertSyntheticReplies } from '../../reports/synthetic-replies.js';
import { ChdbStore } from '../../store/chdb-store.js';
import { BIN, ROOT, startPipeline, waitFor } from '../helpers/pipeline-process.js';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { compareSummary, expectedSummary } from './expected.js';
import { fixtureBody, loadFixture, REPLIES } from './fixture.js';
import { csvObjects } from './read-back.js';

/** `reply-analytics report` with these arguments on a DATA_DIR. */
const report = (dataDir: string, args: string[]) => cli(dataDir, ['report', ...args]);

let dir: Awaited<ReturnType<typeof tempDir>>;
let out: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  dir = await tempDir();
  out = await tempDir('aksita-report-out-');
  // Loaded here, then closed: the CLI below opens the directory itself.
  const store = await ChdbStore.open(dir.path);
  await store.migrate();
  await loadFixture(store);
  await store.close();
});
afterAll(async () => {
  await dir.remove();
  await out.remove();
});

const RANGE = ['--from', '2026-03-05', '--to', '2026-03-09', '--tz', 'Asia/Jakarta'];

describe('bad arguments exit with code 2 and say what was expected', () => {
  it.concurrent.each([
    ['an unknown format', [...RANGE, '--format', 'xlsx', '--out', 'x.xlsx'], '--format "xlsx" is not supported; expected one of csv, json, parquet, html'],
    ['--from after --to', ['--from', '2026-03-09', '--to', '2026-03-05', '--format', 'csv', '--out', 'x.csv'], '--from "2026-03-09" is not before --to "2026-03-05"'],
    ['an unparseable date', ['--from', '03/05/2026', '--to', '2026-03-09', '--out', 'x.csv'], '--from "03/05/2026" is not a date: expected YYYY-MM-DD'],
    ['an unknown time zone', ['--from', '2026-03-05', '--to', '2026-03-09', '--tz', 'Asia/Atlantis', '--out', 'x.csv'], '--tz "Asia/Atlantis" is not a known time zone'],
    ['a missing --out', [...RANGE, '--format', 'csv'], 'report needs --out <file>'],
    ['a missing --to', ['--from', '2026-03-05', '--out', 'x.csv'], '--to is missing'],
    ['HTML detail', [...RANGE, '--detail', '--out', 'x.html'], 'the detail rows have no HTML form'],
    ['an unknown option', [...RANGE, '--fromat', 'csv', '--out', 'x.csv'], "Unknown option '--fromat'"],
    ['an --out in a missing directory', [...RANGE, '--out', '/nonexistent-dir/x.csv'], '--out "/nonexistent-dir/x.csv": the directory /nonexistent-dir does not exist'],
    ['an --out that is a directory', [...RANGE, '--out', ROOT], `--out "${ROOT}" is a directory; expected a file name`],
  ])('%s', async (_name, args, message) => {
    const { code, stderr, stdout } = await report(dir.path, args);
    expect(stderr).toContain(message);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });
});

describe('without a running process (direct)', () => {
  it('writes the summary CSV with the expected figures, format taken from --out', async () => {
    const file = path.join(out.path, 'summary.csv');
    const { code, stderr } = await report(dir.path, [...RANGE, '--agent', 'sales,billing', '--out', file]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' }); // stderr is not a terminal: no progress bar
    const req = parseReportRequest({ from: '2026-03-05', to: '2026-03-09', tz: 'Asia/Jakarta', format: 'csv' });
    const expected = expectedSummary(REPLIES, { fromMs: req.fromMs, toMs: req.toMs, tz: req.tz, agents: ['sales', 'billing'] });
    expect(compareSummary(csvObjects(await readFile(file, 'utf8')), expected)).toEqual([]);
  });

  it('--out - writes to standard output', async () => {
    const { code, stdout } = await report(dir.path, [...RANGE, '--detail', '--format', 'json', '--out', '-']);
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { day: string }).day)
        .every((d) => d >= '2026-03-05' && d <= '2026-03-09'),
    ).toBe(true);
  });

  describe('interrupted with Ctrl-C', () => {
    let big: Awaited<ReturnType<typeof tempDir>>;
    beforeAll(async () => {
      big = await tempDir();
      const store = await ChdbStore.open(big.path);
      await store.migrate();
      await insertSyntheticReplies(store, 1_000_000);
      await store.close();
    });
    afterAll(async () => big.remove());

    /** Starts a detail export into `file` and interrupts it once `started` holds. */
    async function interrupt(file: string, started: () => Promise<boolean>): Promise<string | number | null> {
      const child = spawn(process.execPath, [BIN, 'report', '--from', '2026-01-01', '--to', '2026-02-28', '--detail', '--out', file], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: big.path },
        stdio: 'ignore',
      });
      const exited = new Promise<string | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      try {
        await waitFor(started, 'the export to start writing');
      } catch (err) {
        child.kill('SIGKILL'); // not left running when this fails
        throw err;
      }
      child.kill('SIGINT');
      return exited;
    }

    it('while the rows are written, it leaves neither the file nor a partial one', async () => {
      const file = path.join(out.path, 'interrupted.jsonl');
      const partial = () => readdir(out.path).then((files) => files.some((f) => f.startsWith('.interrupted.jsonl.')));
      expect(await interrupt(file, partial)).toBe('SIGINT');
      expect(await partial()).toBe(false);
      expect((await readdir(out.path)).includes('interrupted.jsonl')).toBe(false);
    });

    it('while the engine writes a Parquet file first, it leaves nothing of it beside the target', async () => {
      const target = await tempDir('aksita-report-parquet-');
      const file = path.join(target.path, 'interrupted.parquet');
      // The engine's scratch file (inside the export's own hidden directory), once it exists.
      const scratchFiles = async () => {
        const entries = (await readdir(target.path)).filter((f) => f.startsWith('.report-'));
        return (await Promise.all(entries.map((e) => readdir(path.join(target.path, e)).catch(() => [e])))).flat();
      };
      try {
        expect(await interrupt(file, async () => (await scratchFiles()).length > 0)).toBe('SIGINT');
        expect(await readdir(target.path)).toEqual([]);
      } finally {
        await target.remove();
      }
    });
  });
});

describe('through the running process', () => {
  it('exports the same bytes as a direct export of the same data', async () => {
    const live = await tempDir();
    const pipeline = await startPipeline(live.path, { ALLOW_UNSIGNED: 'true' }); // unsigned mode: any agent
    const replies = REPLIES.slice(0, 40);
    try {
      for (const r of replies) {
        const body = JSON.stringify(fixtureBody(r));
        const res = await fetch(`${pipeline.url}/webhook/${r.agent}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(res.status).toBe(200);
      }
      await waitFor(async () => (await pipeline.query('SELECT count() FROM aksita.human_agent_replies')).trim() === String(replies.length), 'replies stored');
      for (const [args, name] of [
        [['--format', 'csv'], 'summary.csv'],
        [['--detail', '--format', 'parquet'], 'detail.parquet'],
      ] as const) {
        const { code, stderr } = await report(live.path, [...RANGE, ...args, '--out', path.join(out.path, `live-${name}`)]);
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      }
    } finally {
      pipeline.child.kill('SIGTERM');
      expect(await pipeline.exited).toBe(0);
    }
    // Now nothing holds the directory: the same exports, directly.
    for (const [args, name] of [
      [['--format', 'csv'], 'summary.csv'],
      [['--detail', '--format', 'parquet'], 'detail.parquet'],
    ] as const) {
      expect((await report(live.path, [...RANGE, ...args, '--out', path.join(out.path, `direct-${name}`)])).code).toBe(0);
    }
    const summary = await readFile(path.join(out.path, 'live-summary.csv'), 'utf8');
    expect(summary).toBe(await readFile(path.join(out.path, 'direct-summary.csv'), 'utf8'));
    expect(summary.split('\n').filter(Boolean).length).toBeGreaterThan(3);
    const parquet = await readFile(path.join(out.path, 'live-detail.parquet'));
    expect(parquet.subarray(0, 4).toString()).toBe('PAR1');
    await live.remove();
  });
});
