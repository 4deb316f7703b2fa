// The live dashboards in headless Chromium against a real `reply-analytics start` on a store
// of N generated replies: first contentful paint, the first panel drawn and every panel drawn,
// per dashboard, each panel's answer alone, and the page's asset sizes. Not a test. Also the
// `live` section of `npm run bench` (bench/live-section.ts).
//
//   tsx bench/live-dashboards.ts [rows]        default 1000000; RUNS=3 loads per view
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { DASHBOARDS } from '../dashboards/definitions.js';
import { loadAssets } from '../live/assets.js';
import { ChdbStore } from '../store/chdb-store.js';
import { BIN, ROOT, startPipeline } from '../test/helpers/pipeline-process.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { DAY, generateRows, SPAN_DAYS, START_MS } from './generate-rows.js';

const run = promisify(execFile);
const END = START_MS + SPAN_DAYS * DAY;
/** What a viewer looks at: the last day of the data (the page's default span) and the whole week. */
export const VIEWS = [
  { name: 'last 24 h', from: END - DAY, to: END },
  { name: `${SPAN_DAYS} days`, from: START_MS, to: END },
];

export interface PageTimes {
  view: string;
  dashboard: string;
  panels: number;
  /** One value per measured load, ms from navigation start. */
  paint: number[];
  firstPanel: number[];
  allPanels: number[];
}

export interface LiveFigures {
  pages: PageTimes[];
  /** Each panel's answer alone, ms per run. */
  answers: { view: string; panel: string; ms: number[] }[];
  assets: { name: string; bytes: number; gzip: number }[];
}

async function loadStore(dataDir: string, rows: number, log: (line: string) => void): Promise<void> {
  const store = await ChdbStore.open(dataDir);
  try {
    await store.migrate();
    const t = performance.now();
    await generateRows(store, rows);
    await store.query('OPTIMIZE TABLE aksita.human_agent_replies FINAL', { format: 'TSV' });
    log(`live: ${rows} rows generated and merged in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } finally {
    await store.close();
  }
}

/** Every view of every dashboard `runs` times after one warm-up load, then every panel alone. */
export async function measureLive(rows: number, runs: number, log: (line: string) => void = () => undefined): Promise<LiveFigures> {
  const dir = await tempDir('aksita-bench-live-');
  const figures: LiveFigures = { pages: [], answers: [], assets: [] };
  try {
    await loadStore(dir.path, rows, log);
    const p = await startPipeline(dir.path, { WEBHOOK_SECRET: 'bench-secret' });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
      const link = (await run(process.execPath, [BIN, 'open', '--no-browser'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dir.path } })).stdout.trim();
      await page.goto(link);
      await page.waitForSelector('body[data-loaded]', { timeout: 120_000 });
      for (const view of VIEWS) {
        for (const d of DASHBOARDS) {
          const times: PageTimes = { view: view.name, dashboard: d.title.replace('Aksita · ', ''), panels: d.panels.length, paint: [], firstPanel: [], allPanels: [] };
          for (let i = 0; i <= runs; i++) {
            await page.goto(`${p.queryUrl}/live/${d.id}?range=custom&from=${view.from}&to=${view.to}&tz=UTC`);
            await page.waitForSelector('body[data-loaded]', { timeout: 300_000 });
            // No named functions inside: tsx would wrap them in a helper the page does not have.
            const [paint, firstPanel, allPanels] = await page.evaluate(() =>
              ['first-contentful-paint', 'live:first-panel', 'live:all-panels'].map(
                (n) => (globalThis as unknown as { performance: { getEntriesByName(n: string): { startTime: number }[] } }).performance.getEntriesByName(n)[0]?.startTime ?? NaN,
              ),
            );
            if (i === 0) continue;
            times.paint.push(paint!);
            times.firstPanel.push(firstPanel!);
            times.allPanels.push(allPanels!);
          }
          figures.pages.push(times);
          log(`live: ${view.name}, ${times.dashboard}: all panels drawn in ${times.allPanels.map((t) => t.toFixed(0)).join(', ')} ms`);
        }
      }
      // Each panel alone through the whole HTTP path (checks, read-only guard, engine, JSON): the
      // answer time to hold against the panel budgets; the page's figures include waiting for
      // one of the QUERY_MAX_CONCURRENT slots.
      const token = await p.token();
      for (const view of VIEWS) {
        for (const d of DASHBOARDS) {
          for (const panel of d.panels) {
            const url = `${p.queryUrl}/live/api/panel?dashboard=${d.id}&panel=${panel.id}&from=${view.from}&to=${view.to}&interval=${view.to - view.from > DAY ? 3_600_000 : 600_000}`;
            const ms: number[] = [];
            for (let i = 0; i <= runs; i++) {
              const start = performance.now();
              const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
              await res.arrayBuffer();
              if (!res.ok) throw new Error(`${url}: ${res.status}`);
              if (i > 0) ms.push(performance.now() - start);
            }
            figures.answers.push({ view: view.name, panel: `${d.title.replace('Aksita · ', '')} / ${panel.title}`, ms });
          }
        }
      }
    } finally {
      await browser.close();
      p.child.kill('SIGTERM');
      await p.exited;
    }
    for (const [name, a] of await loadAssets()) figures.assets.push({ name, bytes: a.body.length, gzip: a.gzip.length });
  } finally {
    await dir.remove();
  }
  return figures;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export function assetTable(assets: LiveFigures['assets']): string {
  const total = (k: 'bytes' | 'gzip') => assets.reduce((n, a) => n + a[k], 0);
  return [
    '| file | bytes | gzip (as served) |',
    '|---|---:|---:|',
    ...assets.map((a) => `| ${a.name} | ${kb(a.bytes)} | ${kb(a.gzip)} |`),
    `| **all** | **${kb(total('bytes'))}** | **${kb(total('gzip'))}** |`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const runs = Number(process.env.RUNS ?? 3);
  const f = await measureLive(rows, runs, (line) => console.error(line));
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(`Chromium (headless), chDB, ${os.cpus().length} CPUs, ${rows} replies, QUERY_MAX_CONCURRENT=2; median of ${runs} loads after one warm-up; load average after: ${load}\n`);
  console.log('| range | dashboard | panels | first contentful paint ms | first panel drawn ms | all panels drawn ms |\n|---|---|---:|---:|---:|---:|');
  for (const t of f.pages) console.log(`| ${t.view} | ${t.dashboard} | ${t.panels} | ${median(t.paint).toFixed(0)} | ${median(t.firstPanel).toFixed(0)} | ${median(t.allPanels).toFixed(0)} |`);
  console.log('\n| range | dashboard / panel | answer ms (GET /live/api/panel, alone) |\n|---|---|---:|');
  for (const a of f.answers) console.log(`| ${a.view} | ${a.panel} | ${median(a.ms).toFixed(0)} |`);
  console.log(`\n${assetTable(f.assets)}`);
}
