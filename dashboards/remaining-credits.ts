// Remaining credits: each agent's Aksita balance as reported with every reply, how fast it
// falls, and when it will run out. The long SQL is in credits-sql.ts.
import { creditsUsedPerDay, runOut, TOP_UPS } from './credits-sql.js';
import { REPLY_COLUMNS, thresholds, type DashboardDef } from './panel-def.js';
import { latestCreditsAsOfEnd, latestCreditsPerAgent } from './rollup-sql.js';
import { inRange, REPLIES } from './sql.js';

// alerts/rules.ts takes the run-out projection from here, so a rule and its panel agree.
export { runOut, TOP_UPS };

/** Balances in full with thousands separators: 'short' shows 1,230 as "1.23 K". */
const CREDITS_UNIT = 'locale';
/** Red below 100 credits, orange below 1000. */
const CREDIT_LEVELS = thresholds('red', [
  [100, 'orange'],
  [1000, 'green'],
]);

export const remainingCredits: DashboardDef = {
  id: 'credits',
  uid: 'aksita-credits',
  title: 'Aksita · Remaining credits',
  description: 'Remaining Aksita credits per agent, usage per day and the projected run-out date.',
  from: 'now-7d',
  panels: [
    {
      id: 'remaining-credits',
      kind: 'stat-per-row',
      title: 'Remaining credits',
      description: "Each agent's latest remaining_credits as of the end of the range (from its last reply at or before then, however old). Thresholds: red below 100, orange below 1000.",
      sql: `SELECT agent, remaining_credits FROM (${latestCreditsAsOfEnd()}) ORDER BY agent`,
      unit: CREDITS_UNIT,
      columns: { agent: 'Agent', remaining_credits: 'Remaining credits' },
      w: 12,
      h: 5,
      colorBackground: true,
      thresholds: CREDIT_LEVELS,
    },
    {
      id: 'days-left',
      kind: 'stat-per-row',
      title: 'Days until credits run out',
      description:
        'Projected days from the end of the range until the balance reaches 0, from a least-squares line through the balance at the end of every five minutes since the last top-up in the range (see Projected run-out). "not falling" (green) when the balance is flat or rising, or would last more than 10 years.',
      sql: `SELECT agent, days_left FROM (${runOut()}) ORDER BY agent`,
      unit: 'd',
      columns: { agent: 'Agent', days_left: 'Days left' },
      w: 12,
      h: 5,
      decimals: 1,
      colorBackground: true,
      thresholds: thresholds('red', [
        [3, 'orange'],
        [14, 'green'],
      ]),
      // No projection (NULL) means the balance is not falling: good news, not a missing value.
      nullText: 'not falling',
    },
    {
      id: 'credits-over-time',
      kind: 'timeseries',
      title: 'Remaining credits over time',
      description: "Each agent's remaining_credits at its last reply in each interval.",
      // Whole five minutes from the rollup's latest balance, the range's ends from the table.
      sql: `SELECT time, agent, remaining_credits
FROM (${latestCreditsPerAgent({ perInterval: true })})
ORDER BY time, agent`,
      unit: CREDITS_UNIT,
      seriesBy: 'agent',
      stepped: true,
      // The same levels as the Remaining credits tiles, drawn as lines.
      thresholds: CREDIT_LEVELS,
      thresholdLines: true,
    },
    {
      id: 'credits-used-per-day',
      kind: 'timeseries',
      title: 'Credits used per day',
      description:
        "Credits consumed per agent per UTC day: the sum of drops in remaining_credits between the agent's consecutive replies, attributed to the day of the later reply. Rises (top-ups) are not usage and are ignored; the drop before the first reply in the range is not visible.",
      sql: creditsUsedPerDay(),
      unit: CREDITS_UNIT,
      seriesBy: 'agent',
      bars: true,
    },
    {
      id: 'projected-run-out',
      kind: 'table',
      title: 'Projected run-out',
      description:
        'Fit: ordinary least squares of remaining_credits against time, one point per five minutes with replies (the balance at their last reply), from the five minutes of the agent’s last top-up in the selected range (where its balance rose above the five minutes’ first, or their first above the previous last). Burn/day is minus the slope; the run-out date is where the fitted line reaches 0 (empty if the balance is flat or rising, or more than 10 years away).',
      sql: `SELECT agent, latest AS remaining_credits, burn_per_day, run_out, days_left, fit_points FROM (${runOut()}) ORDER BY agent`,
      unit: 'short',
      columns: {
        agent: 'Agent',
        remaining_credits: { title: 'Remaining', unit: CREDITS_UNIT },
        burn_per_day: { title: 'Burn / day', unit: CREDITS_UNIT },
        run_out: 'Projected run-out',
        days_left: { title: 'Days left', unit: 'd' },
        fit_points: 'Five minutes in fit',
      },
      w: 14,
    },
    {
      id: 'credits-not-zero',
      kind: 'table',
      title: 'Replies where credits was not 0',
      description: 'The spec says `credits` is always 0 for human replies. Replies that said otherwise are stored as sent and listed here (latest 100), so a change on Aksita’s side is noticed.',
      sql: `SELECT agent, conversation_id, message_id, event_time, credits, remaining_credits
FROM ${REPLIES}
WHERE ${inRange()} AND credits != 0
ORDER BY event_time DESC, agent, message_id
LIMIT 100`,
      unit: 'short',
      columns: {
        ...REPLY_COLUMNS,
        credits: 'Credits',
        remaining_credits: 'Remaining credits',
      },
      w: 10,
    },
  ],
  annotations: [{ id: 'top-ups', name: 'Credit top-ups', color: 'green', sql: TOP_UPS }],
};
