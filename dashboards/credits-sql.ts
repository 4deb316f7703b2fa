// The remaining-credits dashboard's SQL: credits used per day, the run-out projection and the
// top-ups, each too long to read beside the panel list (remaining-credits.ts).
import { LATEST_TUPLE, remainderWhere, ROLLUP_5M, ROLLUP_SECONDS, rollupWhere } from './rollup-sql.js';
import { inRange, REPLIES } from './sql.js';

/**
 * Credits used per agent and UTC day: the sum of drops in the balance between the agent's
 * consecutive replies in the range, in the order (event_time, received_at, message_id), each
 * drop counted on the day of the later reply (the report's credits_used, store/migrations.ts).
 *
 * One group per agent (a GROUP BY: the engine reads and collects on all its threads) sorts the
 * agent's replies by event_time alone, reading neither received_at nor message_id (their reads
 * and the string sort were most of the cost). That is the full order wherever replies in the
 * same millisecond have the same balance, since their order then cannot change a drop. An agent
 * with two replies in the same millisecond and different balances ("tied") takes the full
 * order: its days come from the window over its replies in the range (withPrevious), and the
 * quick answer is only used for the other agents. `fast` is a scalar subquery, run once for both
 * of its uses.
 *
 * In the sorted replies a day's drops are consecutive: the pair across days (the day's first
 * reply after the agent's last reply before it in the range; none for the agent's first) and
 * then the pairs inside the day. So the drops are split where the day changes and each part is
 * added in time order, starting with the pair across days: the same additions, in the same
 * order, as the query this replaced (one group per agent and day, a window over the days for
 * the pair across them), whose arrays moving through the window cost more than the sort.
 * A drop is greatest(-(b - previous), 0), which is greatest(previous - b, 0) exactly (negation
 * is exact, and a zero's sign cannot change a sum that starts at +0); the first reply's is
 * greatest(-0, 0). `tied`: the difference of two finite balances is 0 exactly when they are
 * equal (balances are finite: the payload schema, core/payload.ts, refuses others).
 *
 * Days are toDate(event_time), which wraps outside 1970-01-01 .. 2149-06-06. Inside that the day
 * never falls as time rises, so sorting by time keeps each day's replies together and the days
 * in order. A range reaching outside it (a constant condition, so only one sort runs) sorts by
 * (day, time) instead, the order the per-day groups and the window over days gave there.
 */
const withPrevious = () => `SELECT agent, event_time, remaining_credits,
    lagInFrame(remaining_credits, 1, remaining_credits) OVER (
      PARTITION BY agent ORDER BY event_time, received_at, message_id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
  FROM ${REPLIES}
  WHERE ${inRange()} AND has(tied_agents, agent)`;

/** Milliseconds in the days toDate counts without wrapping: 65536 days from 1970-01-01. */
const DATE_RANGE_MS = 65_536 * 86_400_000;

/** Per agent: credits used on each day with replies (`used`, `days`), and whether a millisecond holds two different balances. */
const CREDITS_USED_PER_AGENT = `SELECT agent,
    arrayZip(groupArray(remaining_credits), groupArray(toUnixTimestamp64Milli(event_time))) AS replies,
    if(toUnixTimestamp64Milli($__fromTime_ms) >= 0 AND toUnixTimestamp64Milli($__toTime_ms) < ${DATE_RANGE_MS},
      arraySort(x -> x.2, replies),
      arraySort(x -> bitShiftLeft(toInt128(toUInt16(toDate(fromUnixTimestamp64Milli(x.2, 'UTC')))), 64) + x.2, replies)) AS sorted,
    arrayMap(x -> x.1, sorted) AS balances,
    arrayMap(x -> x.2, sorted) AS times,
    arrayDifference(balances) AS rises,
    arrayMap(t -> toDate(fromUnixTimestamp64Milli(t, 'UTC')), times) AS reply_days,
    arrayMap(d -> d != 0, arrayDifference(arrayMap(d -> toUInt16(d), reply_days))) AS new_day,
    arrayMap(part -> arraySum(part), arraySplit((r, starts) -> starts, arrayMap(r -> greatest(-r, 0), rises), new_day)) AS used,
    arrayPushFront(arrayFilter((d, starts) -> starts, reply_days, new_day), reply_days[1]) AS days,
    arrayExists((dt, r) -> dt = 0 AND r != 0, arrayDifference(times), rises) AS agent_tied
  FROM ${REPLIES}
  WHERE ${inRange()}
  GROUP BY agent`;

const CREDITS_USED_FAST = `SELECT toDateTime(day, 'UTC') AS time, agent, credits_used, agent_tied
  FROM (${CREDITS_USED_PER_AGENT})
  ARRAY JOIN used AS credits_used, days AS day`;

export const creditsUsedPerDay = () => `WITH (SELECT groupArray((time, agent, credits_used, agent_tied)) FROM (${CREDITS_USED_FAST})) AS fast,
  arrayDistinct(arrayMap(f -> f.2, arrayFilter(f -> f.4, fast))) AS tied_agents
SELECT time, agent, credits_used
FROM (
  SELECT f.1 AS time, f.2 AS agent, f.3 AS credits_used FROM (SELECT arrayJoin(fast) AS f) WHERE NOT f.4
  UNION ALL
  SELECT toStartOfDay(toDateTime(event_time)) AS time, agent, sum(greatest(previous - remaining_credits, 0)) AS credits_used
  FROM (${withPrevious()})
  GROUP BY time, agent
)
ORDER BY time, agent`;

const END_MS = 'toUnixTimestamp64Milli($__toTime_ms)';

/**
 * One point per agent and five minutes of the range that hold replies (five minutes aligned to
 * the epoch, as the rollup's buckets; at the range's ends only the part inside the range): the
 * balance at the five minutes' last reply (`y`, at time `t`), at its first (`first_y`), and the
 * highest in them. Whole five minutes come from the rollup, read FINAL (one row per agent and
 * five minutes without aggregating), the ends from the table.
 */
const FIVE_MINUTE_POINTS = `SELECT agent, bucket, latest.1 AS t, latest.4 AS y, first.4 AS first_y, highest
  FROM ${ROLLUP_5M} FINAL
  WHERE ${rollupWhere()}
  UNION ALL
  SELECT agent, toStartOfInterval(toDateTime(event_time), INTERVAL ${ROLLUP_SECONDS} second) AS bucket,
    max(${LATEST_TUPLE}).1, max(${LATEST_TUPLE}).4, min(${LATEST_TUPLE}).4, max(remaining_credits)
  FROM ${REPLIES}
  WHERE ${remainderWhere()}
  GROUP BY agent, bucket`;

/** A five minutes' balance certainly rose: above its first reply's inside, or its first above the previous five minutes' last. */
const ROSE = 'highest > first_y OR first_y > lagInFrame(y, 1, first_y) OVER (PARTITION BY agent ORDER BY bucket ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)';

/**
 * Annotations: the five minutes in which an agent's balance rose (a top-up), as the run-out
 * fit sees them (FIT_POINTS), read from the rollup: a region per five minutes, with the highest
 * balance in them.
 */
export const TOP_UPS = `SELECT bucket AS time, bucket + ${ROLLUP_SECONDS} AS timeEnd,
  concat(agent, ': credits topped up, to ', toString(round(highest, 2))) AS text, [toString(agent)] AS tags
FROM (SELECT agent, bucket, highest, ${ROSE} AS rose FROM (${FIVE_MINUTE_POINTS}))
WHERE rose
ORDER BY time, text`;

/**
 * The points at or after each agent's last top-up in the range: the latest five minutes where
 * the balance certainly rose, because their highest balance exceeds their first, or their
 * first exceeds the previous five minutes' last (those two replies are consecutive). Their
 * last reply is at or after the rise, so their point is the fit's first. A rise hidden inside
 * five minutes (the balance dips and recovers without passing the five minutes' first) is not
 * seen, and does not start a new trend: such a top-up is smaller than the credits used in the
 * same five minutes. No rise: every point of the range.
 */
const FIT_POINTS = `SELECT agent, t, y
FROM (
  SELECT agent, bucket, t, y, max(if(rose, bucket, NULL)) OVER (PARTITION BY agent) AS top_up
  FROM (
    SELECT agent, bucket, t, y,
      ${ROSE} AS rose
    FROM (${FIVE_MINUTE_POINTS})
  )
)
WHERE top_up IS NULL OR bucket >= top_up`;

/**
 * The run-out projection. Fit: ordinary least squares of the balance against time over one
 * point per five minutes (the balance at their last reply) from the agent's last top-up in the
 * selected range on, because a top-up starts a new trend. One point per five minutes rather
 * than per reply: every busy or quiet five minutes weighs the same, and the points come from
 * the five-minute rollup, so the cost does not grow with the replies in the range. Slope =
 * covarPop / varPop: those are computed with centred (Welford) updates, so a flat balance
 * gives a slope of exactly 0, where simpleLinearRegression's raw sums leave a tiny negative
 * slope and a run-out a billion days away. No slope unless the points have two distinct
 * times. x is days relative to the range end, so the intercept is the fitted balance at the
 * end of the range. Run-out = range end + (−intercept ÷ slope) days when the slope is
 * negative; none beyond 10 years. (The ifNull: toInt64 also runs on the value under a NULL,
 * which may be NaN.) `latest` is the balance at the last point: the agent's latest in the range.
 */
export const runOut = () => `SELECT agent,
  argMax(y, x) AS latest,
  count() AS fit_points,
  if(max(x) > min(x), covarPop(x, y) / varPop(x), NULL) AS slope,
  avg(y) - slope * avg(x) AS at_end,
  -slope AS burn_per_day,
  if(slope < 0 AND abs(at_end / slope) <= 3650, -at_end / slope, NULL) AS days_left,
  if(days_left IS NULL, NULL, toDateTime(intDiv(${END_MS}, 1000) + toInt64(round(ifNull(days_left, 0) * 86400)), 'UTC')) AS run_out
FROM (
  SELECT agent, y, (toUnixTimestamp64Milli(t) - ${END_MS}) / 86400000 AS x
  FROM (${FIT_POINTS})
)
GROUP BY agent`;
