// Latency: how late replies reach us, how long we take to store them, and how long customers
// wait between human replies.
import { REPLY_COLUMNS, type DashboardDef } from './panel-def.js';
import { ROLLUP_5M, ROLLUP_SECONDS } from './rollup-sql.js';
import { DELIVERY_MS, inRange, PIPELINE_MS, REPLIES } from './sql.js';

// Percentiles are exact and interpolate between neighbours (quantileExactInclusive: numpy's
// default, "R7"), the same definition as the report views (store/migrations.ts, version 2), so a
// dashboard and a report give the same p95. Not quantile(): it samples above 8192 values.
// The -OrNull form makes a stat over no rows empty rather than 0 ms. A series with several
// levels asks quantilesExactInclusive once, so the values are collected and sorted once.

/** Upper bounds (ms) of the delivery-latency heatmap buckets; the last bucket is open. */
export const DELIVERY_BUCKETS_MS = [250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000] as const;

function heatmapColumns(): string {
  const columns = DELIVERY_BUCKETS_MS.map((le, i) => {
    const lower = i === 0 ? '' : `d > ${DELIVERY_BUCKETS_MS[i - 1]} AND `;
    return `countIf(${lower}d <= ${le}) AS \`${le}\``;
  });
  columns.push(`countIf(d > ${DELIVERY_BUCKETS_MS.at(-1)}) AS \`+Inf\``);
  return columns.join(',\n  ');
}

const FROM_MS = 'toUnixTimestamp64Milli($__fromTime_ms)';
/** Bits of a reply's key below its agent's code: its event time in ms after the range start (557 years). */
const TIME_BITS = 44;
const TIME_MASK = 2 ** TIME_BITS - 1;

/**
 * Every agent that can have a reply in the range, from the five-minute rollup (a few rows per
 * agent and five minutes, fed by a view on every insert): the agents' codes below.
 */
const AGENTS_IN_RANGE = `SELECT groupUniqArray(agent) FROM ${ROLLUP_5M}
  WHERE bucket >= toDateTime($__fromTime_ms) - INTERVAL ${ROLLUP_SECONDS} second AND bucket <= $__toTime_ms`;

/**
 * Per conversation, the gaps (ms) between its consecutive replies in the range (`gaps`) and
 * the time of the later reply of each (`at_ms`, epoch ms). Integer milliseconds rather than
 * DateTime64 values, and arrays handed to the quantile as they are (-Array, or one ARRAY JOIN
 * for the series): at 1M replies that halves the time of the per-reply form.
 *
 * A conversation is (agent, conversation_id), but the replies are grouped by conversation_id
 * alone: a GROUP BY on one string is about twice as fast as on the two columns (the engine then
 * hashes a serialized pair for every reply). Each reply's key carries its agent, as a number
 * (its position in AGENTS_IN_RANGE, from transform(), which the engine computes once per
 * distinct agent) above the time, so sorting the keys orders a group by agent, then time;
 * a conversation_id shared by several agents drops the pairs between two agents.
 */
const GAPS = `WITH (${AGENTS_IN_RANGE}) AS agents
SELECT
  if(one_agent, arrayPopFront(times), arrayFilter((t, same) -> same, arrayPopFront(times), same_agent)) AS at_ms,
  if(one_agent, arrayPopFront(arrayDifference(times)), arrayFilter((g, same) -> same, arrayPopFront(arrayDifference(times)), same_agent)) AS gaps
FROM (
  SELECT arraySort(groupArray(bitShiftLeft(toUInt64(transform(agent, agents, arrayEnumerate(agents), 0)), ${TIME_BITS})
      + toUInt64(toUnixTimestamp64Milli(event_time) - ${FROM_MS}))) AS keys,
    arrayMap(k -> toInt64(bitAnd(k, ${TIME_MASK})) + ${FROM_MS}, keys) AS times,
    bitShiftRight(keys[1], ${TIME_BITS}) = bitShiftRight(keys[-1], ${TIME_BITS}) AS one_agent,
    arrayMap((k, j) -> bitShiftRight(k, ${TIME_BITS}) = bitShiftRight(j, ${TIME_BITS}), arrayPopFront(keys), arrayPopBack(keys)) AS same_agent
  FROM ${REPLIES}
  WHERE ${inRange()}
  GROUP BY conversation_id
)`;

export const latency: DashboardDef = {
  id: 'latency',
  uid: 'aksita-latency',
  title: 'Aksita · Latency',
  description: 'Delivery latency (Aksita → us), pipeline latency (us → store) and the gaps between human replies.',
  from: 'now-24h',
  panels: [
    {
      id: 'delivery-p95',
      kind: 'stat',
      title: 'Delivery latency p95',
      description: '95th percentile of received_at − event_time over the range: how late Aksita delivers a reply webhook after the agent sent it (includes clock skew between Aksita and us).',
      sql: `SELECT quantileExactInclusiveOrNull(0.95)(${DELIVERY_MS}) AS p95 FROM ${REPLIES} WHERE ${inRange()}`,
      unit: 'ms',
      w: 8,
      h: 4,
    },
    {
      id: 'pipeline-p99',
      kind: 'stat',
      title: 'Pipeline latency p99',
      description: '99th percentile of stored_at − received_at for replies received in the range: queue, batching and insert time.',
      sql: `SELECT quantileExactInclusiveOrNull(0.99)(${PIPELINE_MS}) AS p99 FROM ${REPLIES} WHERE ${inRange('received_at')}`,
      unit: 'ms',
      w: 8,
      h: 4,
    },
    {
      id: 'median-gap',
      kind: 'stat',
      title: 'Median gap between replies',
      description: 'Median time between consecutive human replies in the same conversation, over gaps whose later reply is in the range.',
      sql: `SELECT quantileExactInclusiveArrayOrNull(0.5)(gaps) AS p50 FROM (${GAPS})`,
      unit: 'ms',
      w: 8,
      h: 4,
    },
    {
      id: 'delivery-percentiles',
      kind: 'timeseries',
      title: 'Delivery latency percentiles',
      description: 'p50, p95 and p99 of received_at − event_time per interval of event time. Negative values mean the sender clock is ahead of ours.',
      sql: `SELECT time, q[1] AS p50, q[2] AS p95, q[3] AS p99
FROM (
  SELECT $__timeInterval(event_time) AS time, quantilesExactInclusive(0.5, 0.95, 0.99)(${DELIVERY_MS}) AS q
  FROM ${REPLIES}
  WHERE ${inRange()}
  GROUP BY time
)
ORDER BY time`,
      unit: 'ms',
    },
    {
      id: 'delivery-distribution',
      kind: 'heatmap',
      title: 'Delivery latency distribution',
      description: `Replies per delivery-latency bucket per interval. Bucket bounds (ms): ${DELIVERY_BUCKETS_MS.join(', ')}, then above; each row counts latencies up to its bound and above the previous one (negative latencies fall in the first).`,
      sql: `SELECT $__timeInterval(event_time) AS time,
  ${heatmapColumns()}
FROM (SELECT event_time, ${DELIVERY_MS} AS d FROM ${REPLIES} WHERE ${inRange()})
GROUP BY time
ORDER BY time`,
      unit: 'ms',
    },
    {
      id: 'pipeline-percentiles',
      kind: 'timeseries',
      title: 'Pipeline latency percentiles',
      description: 'p50 and p99 of stored_at − received_at per interval of receipt time. A rising p99 means the consumer is falling behind (see Pipeline health).',
      sql: `SELECT time, q[1] AS p50, q[2] AS p99
FROM (
  SELECT $__timeInterval(received_at) AS time, quantilesExactInclusive(0.5, 0.99)(${PIPELINE_MS}) AS q
  FROM ${REPLIES}
  WHERE ${inRange('received_at')}
  GROUP BY time
)
ORDER BY time`,
      unit: 'ms',
    },
    {
      id: 'reply-gaps',
      kind: 'timeseries',
      title: 'Gap between consecutive replies',
      description: 'p50 and p90 of the time between one human reply and the next in the same conversation, placed at the later reply. Only pairs with both replies in the range count.',
      // One quantiles state for both levels: the gaps are collected and sorted once.
      sql: `SELECT time, q[1] AS p50, q[2] AS p90
FROM (
  SELECT $__timeInterval(fromUnixTimestamp64Milli(t, 'UTC')) AS time, quantilesExactInclusive(0.5, 0.9)(gap) AS q
  FROM (${GAPS})
  ARRAY JOIN at_ms AS t, gaps AS gap
  GROUP BY time
)
ORDER BY time`,
      unit: 'ms',
    },
    {
      id: 'slowest-deliveries',
      kind: 'table',
      title: 'Slowest deliveries',
      description: 'The 20 replies with the largest delivery latency in the range.',
      sql: `SELECT agent, conversation_id, message_id, event_time, received_at, ${DELIVERY_MS} AS delivery
FROM ${REPLIES}
WHERE ${inRange()}
ORDER BY delivery DESC, agent, message_id
LIMIT 20`,
      unit: 'short',
      columns: {
        ...REPLY_COLUMNS,
        received_at: 'Received',
        delivery: { title: 'Delivery latency', unit: 'ms' },
      },
      w: 24,
      h: 10,
    },
  ],
};
