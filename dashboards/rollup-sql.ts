// Reading the five-minute rollup (aksita.replies_5m, migration 4) together with the table, so a
// panel gets the exact answer the table alone would give while reading only the ends of its
// range from the table.
//
// A range [from, to] (milliseconds, both ends included, as $__timeFilter_ms) splits into:
//   - whole five minutes inside it: read from the rollup (bucket >= FIRST_WHOLE AND bucket < END_WHOLE);
//   - the rest: replies in the range before FIRST_WHOLE or at/after END_WHOLE, read from the
//     table (at most five minutes at each end; all of the range when no five minutes fit).
// Both bounds are constants once the macros are expanded, so the table's primary key (agent,
// day) prunes the remainder's read to the days of the two ends.
import { AGENT_FILTER, inRange, REPLIES } from './sql.js';
import { DATABASE } from '../store/migrations.js';

export const ROLLUP_5M = `${DATABASE}.replies_5m`;
export const ROLLUP_SECONDS = 300;

/** Start of the first five minutes that lie wholly at or after the range start. */
const FIRST_WHOLE = `(toStartOfInterval(toDateTime($__fromTime_ms - toIntervalMillisecond(1)), INTERVAL ${ROLLUP_SECONDS} second) + ${ROLLUP_SECONDS})`;
/** End (exclusive) of the last five minutes that lie wholly at or before the range end. */
const END_WHOLE = `toStartOfInterval(toDateTime($__toTime_ms + toIntervalMillisecond(1)), INTERVAL ${ROLLUP_SECONDS} second)`;

/**
 * The rollup's order of replies, for the table's rows: the latest reply is the greatest, the
 * first the least; received_at and message_id break ties within a millisecond.
 */
export const LATEST_TUPLE = '(event_time, received_at, message_id, remaining_credits)';

/**
 * A panel grouped by $__timeInterval can use the rollup only when the interval is a whole
 * number of five minutes (both are aligned to the epoch, so each rollup row then falls in one
 * interval); for a finer interval the guard empties the rollup part and the table answers all.
 */
const WHOLE_INTERVAL = `$__interval_s % ${ROLLUP_SECONDS} = 0`;

/** Rollup rows of whole five minutes in the range, for the selected agents. */
export function rollupWhere(opts: { perInterval?: boolean } = {}): string {
  const guard = opts.perInterval ? ` AND ${WHOLE_INTERVAL}` : '';
  return `bucket >= ${FIRST_WHOLE} AND bucket < ${END_WHOLE} AND ${AGENT_FILTER}${guard}`;
}

/** Table rows in the range that the rollup rows above do not cover. */
export function remainderWhere(opts: { perInterval?: boolean } = {}): string {
  const guard = opts.perInterval ? ` OR NOT (${WHOLE_INTERVAL})` : '';
  return `${inRange()} AND (event_time < ${FIRST_WHOLE} OR event_time >= ${END_WHOLE}${guard})`;
}

/**
 * One aggregate per agent over the range (columns agent and `alias`; with perInterval also
 * `time`, the $__timeInterval bucket, first): the rollup's `state` column for the whole five
 * minutes and the same state built from the table's remainder, as `s`, combined by `merged`.
 */
export function perAgent(spec: { alias: string; merged: string; state: string; tableState: string; perInterval?: boolean }): string {
  const opts = { perInterval: spec.perInterval };
  const time = (column: string) => (spec.perInterval ? `$__timeInterval(${column}) AS time, ` : '');
  const by = spec.perInterval ? 'time, agent' : 'agent';
  return `SELECT ${by}, ${spec.merged} AS ${spec.alias}
FROM (
  SELECT ${time('bucket')}agent, ${spec.state} AS s FROM ${ROLLUP_5M} WHERE ${rollupWhere(opts)}
  UNION ALL
  SELECT ${time('event_time')}agent, ${spec.tableState} FROM ${REPLIES} WHERE ${remainderWhere(opts)} GROUP BY ${by}
)
GROUP BY ${by}`;
}

/**
 * Distinct conversations per agent in the range (see perAgent). Conversation ids are counted
 * per agent, as uniqExact(agent, conversation_id) counts them.
 */
export const conversationsPerAgent = (opts: { perInterval?: boolean } = {}) =>
  perAgent({ alias: 'conversations', merged: 'uniqExactMerge(s)', state: 'conversations', tableState: 'uniqExactState(conversation_id)', ...opts });

/**
 * The balance at each agent's latest reply in the range (see perAgent): the greatest
 * (event_time, received_at, message_id, remaining_credits), as the rollup keeps it.
 */
export const latestCreditsPerAgent = (opts: { perInterval?: boolean } = {}) =>
  perAgent({
    alias: 'remaining_credits',
    merged: 'max(s).4',
    state: 'latest',
    tableState: `max(${LATEST_TUPLE})`,
    ...opts,
  });

/**
 * Each agent's balance at its latest reply at or before the range end, however old (the range
 * start does not matter): every whole five minutes before END_WHOLE from the rollup, the
 * replies from END_WHOLE to the end (under five minutes) from the table. The latest is the
 * greatest (event_time, received_at, message_id, remaining_credits), a max of tuples: a row
 * the rollup saw twice (a retried insert, an unmerged duplicate, the backfill) changes nothing.
 * The tuple starts with event_time, so an agent's greatest lies in its latest five minutes:
 * the scan of history reads only agent and bucket, and `latest` is read for those rows only
 * (several while parts are unmerged, hence max).
 */
export const latestCreditsAsOfEnd = () => `SELECT agent, max(s).4 AS remaining_credits
FROM (
  SELECT agent, max(latest) AS s FROM ${ROLLUP_5M}
  WHERE (agent, bucket) IN (SELECT agent, max(bucket) FROM ${ROLLUP_5M} WHERE bucket < ${END_WHOLE} AND ${AGENT_FILTER} GROUP BY agent)
  GROUP BY agent
  UNION ALL
  SELECT agent, max(${LATEST_TUPLE}) FROM ${REPLIES}
  WHERE event_time >= ${END_WHOLE} AND event_time <= $__toTime_ms AND ${AGENT_FILTER} GROUP BY agent
)
GROUP BY agent`;
