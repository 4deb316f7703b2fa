// Helpers shared by the dashboard tests and bench/panel-timings.ts: list every panel query of
// every generated dashboard, expand it as Grafana would, and read the engine's answer.
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildAll } from '../../dashboards/all.js';
import type { ClickHouseQuery } from '../../dashboards/clickhouse-query.js';
import type { Store } from '../../store/store.js';
import { expandQuery } from '../../dashboards/macro-expander.js';
import type { Scenario } from './oracle.js';

export interface PanelQuery {
  dashboard: Dashboard;
  panel: Panel;
  query: ClickHouseQuery;
  /** "<dashboard uid> / <panel title>" */
  name: string;
}

export function panelQueries(): PanelQuery[] {
  return buildAll().flatMap((dashboard) =>
    (dashboard.panels ?? []).flatMap((panel) =>
      ((panel as Panel).targets ?? []).map((query) => ({
        dashboard,
        panel: panel as Panel,
        query: query as ClickHouseQuery,
        name: `${dashboard.uid} / ${(panel as Panel).title}`,
      })),
    ),
  );
}

export function expandFor(sql: string, s: Scenario, agents: readonly string[]): string {
  return expandQuery(sql, {
    fromMs: s.fromMs,
    toMs: s.toMs,
    intervalMs: s.intervalMs,
    variables: { agent: s.agents },
    options: { agent: agents },
  });
}

export interface Result {
  columns: string[];
  types: string[];
  rows: unknown[][];
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
export const isNumericType = (type: string) => NUMERIC.test(type);

/** Runs SQL and returns names, types and rows; 64-bit integers (quoted in JSON) become numbers. */
export async function runTable(store: Store, sql: string): Promise<Result> {
  let out: Buffer;
  try {
    out = await store.query(sql, { format: 'JSONCompactEachRowWithNamesAndTypes' });
  } catch (err) {
    // chDB 3.4.0 keeps a failed query's header and hands it out with the next query's
    // result; run a throwaway query so the next panel's answer is its own.
    await store.query('SELECT 1', { format: 'TSV' }).catch(() => undefined);
    throw err;
  }
  const lines = out.toString('utf8').split('\n').filter(Boolean);
  const [columns, types, ...rows] = lines.map((l) => JSON.parse(l) as unknown[]);
  const numeric = (types as string[]).map(isNumericType);
  return {
    columns: columns as string[],
    types: types as string[],
    rows: rows.map((row) => row.map((v, i) => (numeric[i] && typeof v === 'string' ? Number(v) : v))),
  };
}
