// A panel as plain data: the one definition both the Grafana JSON (panels.ts) and the built-in
// live page (live/) are made from, so the two can never show different SQL, units or levels.

export type PanelKind = 'stat' | 'stat-per-row' | 'timeseries' | 'table' | 'barchart' | 'heatmap';

/** Result columns in order, each with its display name and optionally its own unit. */
export type Columns = Record<string, string | { title: string; unit: string }>;

/** Absolute thresholds: `base` below the first step, then each step's color from its value up. */
export interface Thresholds {
  base: string;
  steps: readonly (readonly [number, string])[];
}

export interface PanelDef {
  /** Stable within its dashboard; the live page asks for a panel by it. */
  id: string;
  kind: PanelKind;
  title: string;
  /** What question the panel answers and how to read it; shown as the panel's (i) tooltip. */
  description: string;
  /** The panel's SQL with the Grafana macros (dashboards/macro-expander.ts). */
  sql: string;
  /** Grafana unit id: 'short', 'ms', 'percentunit', 'none', 'locale', 'd'. */
  unit: string;
  /** Grid width (of 24) and height. */
  w?: number;
  h?: number;
  /** Table-shaped panels (table, barchart, stat-per-row): the result columns in order. */
  columns?: Columns;
  decimals?: number;
  thresholds?: Thresholds;
  /** Stat tiles: the threshold color fills the tile (else only the number is colored). */
  colorBackground?: boolean;
  /** Time series: thresholds drawn as dashed lines. */
  thresholdLines?: boolean;
  /** Shown (in green) instead of an empty value, where empty is good news. */
  nullText?: string;
  /** Time series drawn as bars, stacked, or as steps. */
  bars?: boolean;
  stacked?: boolean;
  stepped?: boolean;
  /** The string column whose values name the series (a long result, one series per value). */
  seriesBy?: string;
  axisLabel?: string;
}

export interface AnnotationDef {
  /** Stable within its dashboard, distinct from its panels' ids; the live page asks for it by it. */
  id: string;
  name: string;
  color: string;
  /** Rows of time (and timeEnd), text: marked on every time series of the dashboard. */
  sql: string;
}

export interface DashboardDef {
  /** The live page's id (in its URL). */
  id: string;
  /** Grafana's uid (the generated file's name). */
  uid: string;
  title: string;
  description: string;
  /** Default range start, e.g. 'now-7d'. */
  from: string;
  panels: readonly PanelDef[];
  annotations?: readonly AnnotationDef[];
}

/** The columns that name one reply, shown first in the reply-level tables. */
export const REPLY_COLUMNS = { agent: 'Agent', conversation_id: 'Conversation', message_id: 'Message', event_time: 'Event time' } as const;

export const thresholds = (base: string, steps: Thresholds['steps']): Thresholds => ({ base, steps });
