// The dashboards' SQL with its Grafana macros and the agent variable bound to constants, so an
// alert rule runs the same query as the panel: Grafana's alert evaluation (on its backend) and
// our own evaluator expand neither `$__conditionalAll` nor `${agent:...}`.
import { AGENT_FILTER } from '../dashboards/sql.js';

export interface TimeRange {
  /** SQL expressions of type DateTime64(3): the range's start and end (both included). */
  from: string;
  to: string;
}

/** `sql` for every agent over `range`; throws if anything macro-like is left. */
export function bindMacros(sql: string, range: TimeRange): string {
  const bound = sql
    .split(AGENT_FILTER)
    .join('1=1')
    .replace(/\$__timeFilter_ms\(([^()]+)\)/g, (_m, column: string) => `(${column} >= ${range.from} AND ${column} <= ${range.to})`)
    .replace(/\$__fromTime_ms/g, `(${range.from})`)
    .replace(/\$__toTime_ms/g, `(${range.to})`);
  const left = /\$\{?\w+/.exec(bound);
  if (left) throw new Error(`alert SQL still holds ${left[0]}: bindMacros does not know it`);
  return bound;
}
