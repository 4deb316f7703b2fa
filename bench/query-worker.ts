// Child process (one chDB data directory per process): generates rows into a fresh store and
// times every dashboard panel's query, expanded as Grafana would send it, and the summary
// report, at each requested table size. Prints one JSON line.
import { tempDir } from '../test/helpers/temp-dir.js';
import { expandQuery } from '../dashboards/macro-expander.js';
import { panelQueries, runTable } from '../test/dashboards/panel-queries.js';
import { summaryQuery } from '../reports/report-query.js';
import { ChdbStore } from '../store/chdb-store.js';
import { REPLIES_TABLE } from '../store/migrations.js';
import { AGENTS, DAY, generateRows, SPAN_DAYS, START_MS } from './generate-rows.js';
import { figure, type Figure } from './stats.js';

export interface QueryJob {
  /** Table sizes to reach, ascending; rows are added between sizes. */
  sizes: number[];
  runs: number;
}

export interface QueryTimings {
  rows: number;
  generateS: number;
  panels: { name: string; ms: Figure }[];
  report: Figure;
}

const job = JSON.parse(process.argv[2]!) as QueryJob;
// The whole generated week with every agent: the most rows a panel can be asked to read.
// Grafana sends about one interval per pixel of a ~1000 px wide panel, rounded (10 min for 7 days).
const range = { fromMs: START_MS, toMs: START_MS + SPAN_DAYS * DAY, intervalMs: 600_000 };

async function timed(fn: () => Promise<unknown>, runs: number): Promise<Figure> {
  await fn(); // warm-up: first read of the parts, compiled expressions
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return figure(times);
}

const dir = await tempDir('aksita-bench-queries-');
const store = await ChdbStore.open(dir.path);
const out: QueryTimings[] = [];
try {
  await store.migrate();
  let rows = 0;
  for (const size of job.sizes) {
    const t = performance.now();
    await generateRows(store, size - rows, rows);
    rows = size;
    const generateS = (performance.now() - t) / 1000;
    const count = Number((await store.query(`SELECT count() FROM ${REPLIES_TABLE}`, { format: 'TSV' })).toString());
    if (count !== size) throw new Error(`generated ${count} rows, expected ${size}`);
    const panels = [];
    for (const q of panelQueries()) {
      const sql = expandQuery(q.query.rawSql, { ...range, variables: { agent: 'All' }, options: { agent: AGENTS } });
      panels.push({ name: q.name, ms: await timed(() => runTable(store, sql), job.runs) });
    }
    const report = summaryQuery({ kind: 'summary', format: 'json', ...range, tz: 'UTC', agents: [], given: { from: '', to: '' } });
    out.push({ rows, generateS, panels, report: await timed(() => store.query(report.sql, { format: 'JSONEachRow', params: report.params }), job.runs) });
  }
} finally {
  await store.close();
  await dir.remove();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
