// Section 4: dashboard panel and summary report query times over generated rows (1M, and 10M
// unless --quick). The SQL is the dashboards' own (test/dashboards/panel-queries.ts lists every
// panel's query and expands its macros as Grafana would); the report is reports/report-query.ts.
import type { BenchContext } from './context.js';
import type { QueryJob, QueryTimings } from './query-worker.js';
import { pinned, runJsonWorker, tsArgv } from './processes.js';
import { figure, type Figure } from './stats.js';

/** Per-panel medians for the detail table printed under the summary. */
export interface PanelDetail {
  rows: number;
  panels: { name: string; ms: Figure }[];
}

export async function queriesSection(ctx: BenchContext): Promise<PanelDetail[]> {
  const job: QueryJob = { sizes: ctx.quick ? [1_000_000] : [1_000_000, 10_000_000], runs: 5 };
  ctx.log(`queries: generating ${job.sizes.join(', ')} rows and timing every panel`);
  const timings = await ctx.measure('queries', () => runJsonWorker<QueryTimings[]>(pinned('all', tsArgv('query-worker.ts', JSON.stringify(job))), 'query-worker'));

  const S = '4. queries';
  for (const t of timings) {
    const label = `${t.rows / 1_000_000}M`;
    const limit = t.rows >= 10_000_000 ? 500 : 100;
    const slowest = t.panels.reduce((a, b) => (b.ms.median > a.ms.median ? b : a));
    // The slowest panel's median, with its own min and max: "every panel under N ms" holds iff this does.
    ctx.rows.push({
      section: S,
      measure: `slowest of ${t.panels.length} panels at ${label} rows: ${slowest.name}`,
      unit: 'ms',
      figure: slowest.ms,
      target: { text: `< ${limit}`, met: slowest.ms.median < limit },
    });
    ctx.rows.push({ section: S, measure: `median panel at ${label} rows`, unit: 'ms', figure: figure(t.panels.map((p) => p.ms.median)) });
    ctx.rows.push({ section: S, measure: `summary report (daily_agent_summary, whole week) at ${label} rows`, unit: 'ms', figure: t.report });
    ctx.json[`panel_max_ms_${label.toLowerCase()}`] = slowest.ms.median;
    ctx.json[`report_summary_ms_${label.toLowerCase()}`] = t.report.median;
    ctx.log(`queries at ${label}: rows generated in ${t.generateS.toFixed(1)} s, slowest panel ${slowest.ms.median.toFixed(0)} ms, report ${t.report.median.toFixed(0)} ms`);
  }
  return timings.map((t) => ({ rows: t.rows, panels: t.panels }));
}
