// The SQL a live panel runs: the panel definition's own SQL (dashboards/), its Grafana macros
// expanded by the same module the dashboard tests prove, for a checked range and agent list.
// The page never sends SQL; it names a panel.
import { AGENT_NAME } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { expandQuery } from '../dashboards/macro-expander.js';
import type { PanelDef } from '../dashboards/panel-def.js';

export interface PanelRange {
  /** Epoch milliseconds, both ends included (as Grafana's range). */
  fromMs: number;
  toMs: number;
  /** The bucket width of time series, milliseconds. */
  intervalMs: number;
  /** Selected agents; none means all. */
  agents: readonly string[];
}

export function panelSql(panel: Pick<PanelDef, 'sql'>, range: PanelRange): string {
  // The expander quotes values as Grafana does, escaping quotes but not backslashes: only names
  // an agent can have (letters, digits, "_", "-", ".") ever reach it.
  const bad = range.agents.find((a) => !AGENT_NAME.test(a));
  if (bad !== undefined) throw new AppError('live_invalid', [`agent "${bad.slice(0, 80)}" is not an agent name (letters, digits, "_", "-" or ".", at most 64)`]);
  return expandQuery(panel.sql, {
    fromMs: range.fromMs,
    toMs: range.toMs,
    intervalMs: range.intervalMs,
    variables: { agent: range.agents.length === 0 ? 'All' : range.agents },
    options: { agent: [] },
  });
}
