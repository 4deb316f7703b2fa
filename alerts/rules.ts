// The alert rules, as code beside the dashboards. Each rule is one SQL query that returns one
// row per instance (an agent, or the pipeline as a whole): its label columns, a numeric `value`
// and any further columns as details. A threshold on `value` decides which instances fire; the
// pipeline's evaluator (alerts/evaluate.ts) and Grafana (dashboards/alert-provisioning.ts)
// apply the same one to the same SQL.
import type { AlertConfig, CreditsFloor } from '../core/alert-config.js';
import { latestCreditsAsOfEnd } from '../dashboards/rollup-sql.js';
import { runOut } from '../dashboards/remaining-credits.js';
import { DEAD_LETTERS, REPLIES } from '../dashboards/sql.js';
import { DATABASE } from '../store/migrations.js';
import { stringLiteral } from '../store/sql-literal.js';
import { bindMacros } from './bind-macros.js';

/** What the SQL is evaluated against. */
export interface RuleContext {
  /** A DateTime64(3) SQL expression for "now": now64(3) in production, a constant in tests. */
  now: string;
  /** Seconds between evaluations: the dead-letter rule looks back two of them. */
  intervalSeconds: number;
}

export interface Threshold {
  /** Fires when value < limit ('below') or value > limit ('above'). */
  op: 'below' | 'above';
  limit: number;
}

export interface AlertRule {
  id: string;
  title: string;
  /** One sentence for people: what fired and what to do. */
  summary: string;
  /** Columns that identify an instance (String); none: one instance for the whole pipeline. */
  labels: readonly string[];
  /** What `value` measures, for notifications. */
  unit: string;
  threshold: Threshold;
  sql(ctx: RuleContext): string;
}

export const NOW = 'now64(3)';

/** Days of history the run-out line is fitted to: the credits dashboard's default range. */
const FIT_DAYS = 7;

const creditsRunOut = (days: number): AlertRule => ({
  id: 'credits-run-out',
  title: `Credits projected to run out within ${days} days`,
  summary: `An agent's remaining credits, fitted over the last ${FIT_DAYS} days since its last top-up, reach 0 within ${days} days (or are already at 0). Top up the agent on Aksita.`,
  labels: ['agent'],
  unit: 'days left',
  threshold: { op: 'below', limit: days },
  // An agent at 0 or below has run out however flat its balance is.
  sql: (ctx) => `SELECT agent, if(latest <= 0, 0, days_left) AS value, latest AS remaining_credits, burn_per_day, run_out
FROM (${bindMacros(runOut(), { from: `${ctx.now} - toIntervalDay(${FIT_DAYS})`, to: ctx.now })})
WHERE value IS NOT NULL`,
});

/** Each agent's floor as SQL: the named ones, then the one for every other agent (nan: none). */
function floorExpression(floor: CreditsFloor): string {
  const names = Object.keys(floor.agents);
  const other = floor.other === undefined ? 'nan' : `toFloat64(${floor.other})`;
  if (names.length === 0) return other;
  const values = names.map((n) => `toFloat64(${floor.agents[n]})`);
  return `transform(toString(agent), [${names.map(stringLiteral).join(', ')}], [${values.join(', ')}], ${other})`;
}

const creditsFloor = (floor: CreditsFloor): AlertRule => ({
  id: 'credits-below-floor',
  title: 'Remaining credits below the floor',
  summary: "An agent's latest remaining credits are below its floor (ALERT_CREDITS_FLOOR). Top up the agent on Aksita.",
  labels: ['agent'],
  unit: 'credits above the floor',
  threshold: { op: 'below', limit: 0 },
  sql: (ctx) => `SELECT agent, remaining_credits - floor AS value, remaining_credits, floor
FROM (
  SELECT agent, remaining_credits, ${floorExpression(floor)} AS floor
  FROM (${bindMacros(latestCreditsAsOfEnd(), { from: ctx.now, to: ctx.now })})
)
WHERE NOT isNaN(floor)`,
});

const deadLetters: AlertRule = {
  id: 'dead-letters',
  title: 'Dead letters stored',
  summary: 'Signed payloads failed validation and were kept in aksita.dead_letters. Look at reason_code; replay them once the schema is fixed.',
  labels: ['agent'],
  unit: 'dead letters',
  threshold: { op: 'above', limit: 0 },
  // Two intervals back, so a row stored while the previous evaluation ran is not missed.
  sql: (ctx) => `SELECT agent, toFloat64(count()) AS value, arrayStringConcat(arraySort(groupUniqArray(reason_code)), ', ') AS reasons
FROM ${DEAD_LETTERS}
WHERE stored_at > ${ctx.now} - toIntervalSecond(${2 * ctx.intervalSeconds})
GROUP BY agent`,
};

const pipelineStalled = (minutes: number): AlertRule => ({
  id: 'pipeline-stalled',
  title: `Replies accepted but not stored for ${minutes} minutes`,
  summary: `The newest reply the consumer stored waited longer than ${minutes} minutes between the receiver's 200 and the insert (received_at to stored_at): the consumer is that far behind. Check the consumer's log and /readyz.`,
  labels: ['check'],
  unit: 'minutes behind',
  threshold: { op: 'above', limit: minutes },
  // How far behind each queue partition's consumer is now: the wait of the last reply it stored,
  // in queue order (a queue is first in, first out). The longest wait among all stored rows would keep firing
  // for the whole window after the consumer caught up, on the backlog it just stored.
  sql: (ctx) => `SELECT 'stored_lag' AS check, max(newest_wait_ms) / 60000 AS value, sum(replies) AS replies
FROM (
  SELECT argMax(dateDiff('millisecond', received_at, stored_at), queue_offset) AS newest_wait_ms, count() AS replies
  FROM ${REPLIES}
  WHERE stored_at > ${ctx.now} - toIntervalMinute(${minutes})
  GROUP BY queue_name, queue_partition
)
HAVING count() > 0`,
});

const silentAgent = (minutes: number): AlertRule => ({
  id: 'silent-agent',
  title: `No reply from an agent for ${minutes} minutes`,
  summary: `An agent that has replied before sent no reply for ${minutes} minutes (by event time). Check the agent's webhook settings on Aksita.`,
  labels: ['agent'],
  unit: 'minutes since the last reply',
  threshold: { op: 'above', limit: minutes },
  // The rollup's latest tuple per five minutes starts with event_time: its max is the agent's last reply.
  sql: (ctx) => `SELECT agent, dateDiff('second', max(latest).1, ${ctx.now}) / 60 AS value, max(latest).1 AS last_reply
FROM ${DATABASE}.replies_5m
GROUP BY agent`,
});

/** The rules these settings turn on, in a stable order. */
export function alertRules(config: Pick<AlertConfig, 'creditsDays' | 'creditsFloor' | 'stallMinutes' | 'silentAgentMinutes'>): AlertRule[] {
  return [
    creditsRunOut(config.creditsDays),
    ...(config.creditsFloor ? [creditsFloor(config.creditsFloor)] : []),
    deadLetters,
    pipelineStalled(config.stallMinutes),
    ...(config.silentAgentMinutes > 0 ? [silentAgent(config.silentAgentMinutes)] : []),
  ];
}

/** True when `value` crosses the rule's threshold. */
export const crosses = (t: Threshold, value: number): boolean => (t.op === 'below' ? value < t.limit : value > t.limit);
