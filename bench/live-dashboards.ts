// The live dashboards in headless Chromium against a real `reply-analytics start` on a store
// of N generated replies: first contentful paint, the first panel drawn and every panel drawn,
// per dashboard, and the page's asset sizes. Not a test: it measures and prints markdown.
//
//   tsx bench/live-dashboards.ts [rows]        default 1000000; RUNS=3 loads per view
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { DASHBOARDS } from '../dashboards/definitions.js';
import { loadAssets } from '../live/assets.js';
import { ChdbStore } from '../store/chdb-store.js';
import { BIN, ROOT, startPipeline } from '../test/helpers/pipeline-process.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { DAY, generateRows, SPAN_DAYS, START_MS } from './generate-rows.js';

const run = promisify(execFile);
const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 3);
const END = START_MS + SPAN_DAYS * DAY;
/** What a viewer looks at: the last day of the data (the page's default span) and the whole week. */
const VIEWS = [
  { name: 'last 24 h', from: END - DAY, to: END },
  { name: `${SPAN_DAYS} days`, from: START_MS, to: END },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function assetTable(): Promise<string> {
  const assets = await loadAssets();
  const lines = ['| file | bytes | gzip (as served) |', '|---|---:|---:|'];
  let raw = 0;
  let gz = 0;
  for (const [name, a] of assets) {
    raw += a.body.length;
    gz += a.gzip.length;
    lines.push(`| ${name} | ${kb(a.body.length)} | ${kb(a.gzip.length)} |`);
  }
  lines.push(`| **all** | **${kb(raw)}** | **${kb(gz)}** |`);
  return lines.join('\n');
}

const dir = await tempDir('aksita-bench-live-');
const store = await ChdbStore.open(dir.path);
await store.migrate();
const t = performance.now();
await generateRows(store, ROWS);
console.error(`${ROWS} rows generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
await store.query('OPTIMIZE TABLE aksita.human_agent_replies FINAL', { format: 'TSV' });
await store.close();

const p = await startPipeline(dir.path, { WEBHOOK_SECRET: 'bench-secret' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const results: string[] = [];
const panelTimes: string[] = [];
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const link = (await run(process.execPath, [BIN, 'open', '--no-browser'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dir.path } })).stdout.trim();
  await page.goto(link);
  await page.waitForSelector('body[data-loaded]', { timeout: 120_000 });
  for (const view of VIEWS) {
    for (const d of DASHBOARDS) {
      const url = `${p.queryUrl}/live/${d.id}?range=custom&from=${view.from}&to=${view.to}&tz=UTC`;
      const fcp: number[] = [];
      const first: number[] = [];
      const all: number[] = [];
      // One load to warm the engine's caches, then RUNS measured loads.
      for (let i = 0; i <= RUNS; i++) {
        await page.goto(url);
        await page.waitForSelector('body[data-loaded]', { timeout: 300_000 });
        // No named functions inside: tsx would wrap them in a helper the page does not have.
        const [paint, firstPanel, allPanels] = await page.evaluate(() =>
          ['first-contentful-paint', 'live:first-panel', 'live:all-panels'].map(
            (n) => (globalThis as unknown as { performance: { getEntriesByName(n: string): { startTime: number }[] } }).performance.getEntriesByName(n)[0]?.startTime ?? NaN,
          ),
        );
        if (i === 0) continue;
        fcp.push(paint!);
        first.push(firstPanel!);
        all.push(allPanels!);
      }
      results.push(`| ${view.name} | ${d.title.replace('Aksita · ', '')} | ${d.panels.length} | ${median(fcp).toFixed(0)} | ${median(first).toFixed(0)} | ${median(all).toFixed(0)} |`);
      console.error(results.at(-1));
    }
  }
  // Each panel alone through the whole HTTP path (checks, read-only guard, engine, JSON): the
  // answer time to hold against the panel budgets; the browser's figures above include waiting
  // for one of the QUERY_MAX_CONCURRENT slots.
  const token = await p.token();
  for (const view of VIEWS) {
    for (const d of DASHBOARDS) {
      for (const panel of d.panels) {
        const url = `${p.queryUrl}/live/api/panel?dashboard=${d.id}&panel=${panel.id}&from=${view.from}&to=${view.to}&interval=${view.to - view.from > DAY ? 3_600_000 : 600_000}`;
        const times: number[] = [];
        for (let i = 0; i <= RUNS; i++) {
          const start = performance.now();
          const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`${url}: ${res.status}`);
          if (i > 0) times.push(performance.now() - start);
        }
        panelTimes.push(`| ${view.name} | ${d.title.replace('Aksita · ', '')} / ${panel.title} | ${median(times).toFixed(0)} |`);
      }
    }
  }
} finally {
  await browser.close();
  p.child.kill('SIGTERM');
  await p.exited;
  await dir.remove();
}

console.log(
  `Chromium (headless), chDB, ${os.cpus().length} CPUs, ${ROWS} replies, QUERY_MAX_CONCURRENT=2; median of ${RUNS} loads after one warm-up; load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n`,
);
console.log('| range | dashboard | panels | first contentful paint ms | first panel drawn ms | all panels drawn ms |\n|---|---|---:|---:|---:|---:|');
console.log(results.join('\n'));
console.log(`\n| range | dashboard / panel | answer ms (GET /live/api/panel, alone) |\n|---|---|---:|\n${panelTimes.join('\n')}`);
console.log(`\n${await assetTable()}`);
