// Remaining credits: each agent's Aksita balance as reported with every reply, how fast it
// falls, and when it will run out.
import * as common from '@grafana/grafana-foundation-sdk/common';
import { buildDashboard } from './dashboard-base.js';
import { statPerRowPanel, tablePanel, thresholds, timeSeriesPanel } from './panels.js';
import { latestCreditsAsOfEnd, latestCreditsPerAgent, ROLLUP_5M, rollupWhere } from './rollup-sql.js';
import { inRange, REPLIES } from './sql.js';

/**
 * Each reply with the balance reported by the agent's previous reply in the range (itself for
 * the first), for replies in the range that also meet `where`. A window over every reply: the
 * cost that the run-out below avoids where it can.
 */
const withPrevious = (where = '1') => `SELECT agent, event_time, received_at, message_id, remaining_credits,
    lagInFrame(remaining_credits, 1, remaining_credits) OVER (
      PARTITION BY agent ORDER BY event_time, received_at, message_id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
  FROM ${REPLIES}
  WHERE ${inRange()} AND ${where}`;

const END_MS = 'toUnixTimestamp64Milli($__toTime_ms)';

/**
 * A per-agent value from a query with columns agent and `column`, as one map computed once per
 * query: `${byAgent(sql)}[toString(agent)]`. An agent the query does not list reads the type's
 * zero: for a time, 1970, i.e. no limit. (assumeNotNull: groupArray would skip a NULL and pair
 * the agents with the wrong values; a NULL read as zero is again no limit.)
 */
const byAgent = (sql: string, column = 't') =>
  `(SELECT mapFromArrays(groupArray(toString(agent)), groupArray(assumeNotNull(${column}))) FROM (${sql}))`;

/**
 * Per agent, a time at or before its last top-up in the range, from the five-minute rollup:
 * the start of the latest whole five minutes that certainly hold a top-up (its highest balance
 * exceeds its first, so the balance rose inside it), or of the five minutes before one whose
 * first balance exceeds the previous five minutes' last (the rise is between the two). A rise
 * hidden inside later five minutes (the balance dips and recovers below its first) is after
 * this time anyway, and the window below finds it. No such five minutes: not listed (no limit).
 */
const TOP_UP_NOT_BEFORE = `SELECT agent, max(candidate) AS t
FROM (
  SELECT agent, multiIf(highest > first, bucket, first > lagInFrame(toNullable(last)) OVER w, lagInFrame(toNullable(bucket)) OVER w, NULL) AS candidate
  FROM (
    -- FINAL: one row per agent and five minutes, as GROUP BY would give, without aggregating.
    SELECT agent, bucket, first.4 AS first, latest.4 AS last, highest
    FROM ${ROLLUP_5M} FINAL
    WHERE ${rollupWhere()}
  )
  WINDOW w AS (PARTITION BY agent ORDER BY bucket ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
)
WHERE candidate IS NOT NULL
GROUP BY agent`;

/** Per agent, its last top-up in the range (the later reply of the last rise; 1970 for none). */
const LAST_TOP_UP = `SELECT agent, max(if(remaining_credits > previous, event_time, toDateTime64(0, 3, 'UTC'))) AS t
FROM (${withPrevious(`event_time >= ${byAgent(TOP_UP_NOT_BEFORE)}[toString(agent)]`)})
GROUP BY agent`;

/**
 * The run-out projection. Fit: ordinary least squares of remaining_credits against time, over
 * the agent's replies in the selected range at or after its last top-up in the range (a rise
 * in the balance), because a top-up starts a new trend. Slope = covarPop / varPop: those are
 * computed with centred (Welford) updates, so a flat balance gives a slope of exactly 0, where
 * simpleLinearRegression's raw sums leave a tiny negative slope and a run-out a billion days
 * away. No slope unless the points have two distinct times (varPop of equal values can come
 * out a hair above 0, which made a slope of noise). x is days relative to the range end, so
 * the intercept is the fitted balance at the end of the range. Run-out = range end + (−intercept ÷ slope) days when the slope is negative;
 * none beyond 10 years. (The ifNull: toInt64 also runs on the value under a NULL, which may be NaN.)
 * The last top-up needs consecutive replies (a window), but only from TOP_UP_NOT_BEFORE on;
 * the fit itself is a plain aggregation over the replies from the last top-up on, and the
 * latest balance comes from the rollup (an argMax over every reply's key costs more than the fit).
 */
const runOut = (extraColumns = '') => `SELECT agent,${extraColumns}
  count() AS fit_points,
  if(max(x) > min(x), covarPop(x, remaining_credits) / varPop(x), NULL) AS slope,
  avg(remaining_credits) - slope * avg(x) AS at_end,
  -slope AS burn_per_day,
  if(slope < 0 AND abs(at_end / slope) <= 3650, -at_end / slope, NULL) AS days_left,
  if(days_left IS NULL, NULL, toDateTime(intDiv(${END_MS}, 1000) + toInt64(round(ifNull(days_left, 0) * 86400)), 'UTC')) AS run_out
FROM (
  SELECT agent, remaining_credits, (toUnixTimestamp64Milli(event_time) - ${END_MS}) / 86400000 AS x
  FROM ${REPLIES}
  WHERE ${inRange()} AND event_time >= ${byAgent(LAST_TOP_UP)}[toString(agent)]
)
GROUP BY agent`;

/** The latest balance in the range, for the run-out table (the stat does not need it). */
const LATEST_IN_RANGE = ` ${byAgent(latestCreditsPerAgent(), 'remaining_credits')}[toString(agent)] AS latest,`;

export const remainingCredits = () =>
  buildDashboard({
    uid: 'aksita-credits',
    title: 'Aksita · Remaining credits',
    description: 'Remaining Aksita credits per agent, usage per day and the projected run-out date.',
    from: 'now-7d',
    panels: [
      statPerRowPanel({
        title: 'Remaining credits',
        description:
          "Each agent's latest remaining_credits as of the end of the range (from its last reply at or before then, however old). Thresholds: red below 100, orange below 1000.",
        sql: `SELECT agent, remaining_credits FROM (${latestCreditsAsOfEnd()}) ORDER BY agent`,
        unit: 'short',
        columns: { agent: 'Agent', remaining_credits: 'Remaining credits' },
        w: 12,
        h: 5,
      })
        .colorMode(common.BigValueColorMode.Background)
        .thresholds(thresholds('red', [[100, 'orange'], [1000, 'green']])),
      statPerRowPanel({
        title: 'Days until credits run out',
        description:
          'Projected days from the end of the range until the balance reaches 0, from a least-squares line through the balance since the last top-up in the range (see Projected run-out). Empty when the balance is not falling.',
        sql: `SELECT agent, days_left FROM (${runOut()}) ORDER BY agent`,
        unit: 'd',
        columns: { agent: 'Agent', days_left: 'Days left' },
        w: 12,
        h: 5,
      })
        .decimals(1)
        .colorMode(common.BigValueColorMode.Background)
        .thresholds(thresholds('red', [[3, 'orange'], [14, 'green']])),
      timeSeriesPanel({
        title: 'Remaining credits over time',
        description: "Each agent's remaining_credits at its last reply in each interval.",
        // Whole five minutes from the rollup's latest balance, the range's ends from the table.
        sql: `SELECT time, agent, remaining_credits
FROM (${latestCreditsPerAgent({ perInterval: true })})
ORDER BY time, agent`,
        unit: 'short',
      })
        .displayName('${__field.labels.agent}')
        .lineInterpolation(common.LineInterpolation.StepAfter),
      timeSeriesPanel({
        title: 'Credits used per day',
        description:
          "Credits consumed per agent per UTC day: the sum of drops in remaining_credits between the agent's consecutive replies, attributed to the day of the later reply. Rises (top-ups) are not usage and are ignored; the drop before the first reply in the range is not visible.",
        sql: `SELECT toStartOfDay(toDateTime(event_time)) AS time, agent, sum(greatest(previous - remaining_credits, 0)) AS credits_used
FROM (${withPrevious()})
GROUP BY time, agent
ORDER BY time, agent`,
        unit: 'short',
      })
        .displayName('${__field.labels.agent}')
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(80),
      tablePanel({
        title: 'Projected run-out',
        description:
          'Fit: ordinary least squares of remaining_credits against time, over the replies in the selected range at or after the agent’s last top-up in it. Burn/day is minus the slope; the run-out date is where the fitted line reaches 0 (empty if the balance is flat or rising, or more than 10 years away).',
        sql: `SELECT agent, latest AS remaining_credits, burn_per_day, run_out, days_left, fit_points FROM (${runOut(LATEST_IN_RANGE)}) ORDER BY agent`,
        unit: 'short',
        columns: {
          agent: 'Agent',
          remaining_credits: 'Remaining',
          burn_per_day: 'Burn / day',
          run_out: 'Projected run-out',
          days_left: { title: 'Days left', unit: 'd' },
          fit_points: 'Replies in fit',
        },
        w: 14,
      }),
      tablePanel({
        title: 'Replies where credits was not 0',
        description:
          'The spec says `credits` is always 0 for human replies. Replies that said otherwise are stored as sent and listed here (latest 100), so a change on Aksita’s side is noticed.',
        sql: `SELECT agent, conversation_id, message_id, event_time, credits, remaining_credits
FROM ${REPLIES}
WHERE ${inRange()} AND credits != 0
ORDER BY event_time DESC, agent, message_id
LIMIT 100`,
        unit: 'short',
        columns: {
          agent: 'Agent',
          conversation_id: 'Conversation',
          message_id: 'Message',
          event_time: 'Event time',
          credits: 'Credits',
          remaining_credits: 'Remaining credits',
        },
        w: 10,
      }),
    ],
  });
