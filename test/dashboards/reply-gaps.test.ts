// "Median gap between replies" and "Gap between consecutive replies" take the gaps between the
// consecutive replies of each conversation, a conversation being an agent's conversation_id. The
// SQL groups replies by conversation_id alone and keeps each reply's agent as a code in its sort
// key (dashboards/latency.ts), so these replies are built to catch a wrong grouping: a
// conversation_id used by two agents whose replies interleave, and by two agents in the same
// millisecond; conversations across midnight and across empty days, replies in the same
// millisecond, one-reply conversations, conversations cut by the range, rows stored out of order.
// Every range must give what the oracle gives from the replies alone, and, with rows stored
// twice as well, what the previous SQL (one group per agent and conversation_id) gave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { latency } from './expected-volume-latency.js';
import { DAY, HOUR, toReplyRow, WEEK_START, type FixtureReply } from './fixture.js';
import { gaps, replies as inScenario, type Scenario } from './oracle.js';
import { expandFor, panelQueries, runTable } from './panel-queries.js';
import { expectRows } from './expect-rows.js';

const MINUTE = 60_000;
const AGENTS = ['anna', 'bo', 'cy'];
const TITLES = ['Median gap between replies', 'Gap between consecutive replies'] as const;
const panel = (title: string) => panelQueries().find((q) => q.panel.title === title)!;

let seq = 0;
function reply(agent: string, conversation: string, day: number, offsetMs: number): FixtureReply {
  const eventMs = WEEK_START + day * DAY + offsetMs;
  const n = (seq += 1);
  return {
    agent,
    conversation,
    // m-<agent><n>: the fixture's row builder reads the queue offset from the digits.
    messageId: `m-${AGENTS.indexOf(agent) + 1}${String(n).padStart(4, '0')}`,
    eventMs,
    offsetMinutes: 0,
    receivedMs: eventMs + 300,
    storedMs: eventMs + 400,
    parts: 1,
    credits: 0,
    remaining: 100,
    source: 'human_agent',
    signature: 'valid',
  };
}

const T = (h: number, m = 0, s = 0) => h * HOUR + m * MINUTE + s * 1000;
const replies: FixtureReply[] = [
  // "shared": anna and bo reply in turn, so grouped by conversation_id alone the gaps would be
  // 1, 9, 2, 30 minutes instead of anna's 10 and 40 and bo's 11.
  reply('anna', 'shared', 0, T(10)),
  reply('bo', 'shared', 0, T(10, 1)),
  reply('anna', 'shared', 0, T(10, 10)),
  reply('bo', 'shared', 0, T(10, 12)),
  reply('anna', 'shared', 0, T(10, 50)),
  // "same-ms": anna twice and cy once in one millisecond: anna's gap is 0, cy has none.
  reply('anna', 'same-ms', 1, T(9, 0, 7)),
  reply('anna', 'same-ms', 1, T(9, 0, 7)),
  reply('cy', 'same-ms', 1, T(9, 0, 7)),
  reply('cy', 'same-ms', 1, T(9, 30)),
  // "night": bo across midnight, then across an empty day.
  reply('bo', 'night', 1, T(23, 55)),
  reply('bo', 'night', 2, T(0, 5)),
  reply('bo', 'night', 4, T(8)),
  // one-reply conversations: no gap.
  reply('cy', 'single-1', 2, T(12)),
  reply('anna', 'single-2', 3, T(12)),
  // "edge": bo and cy inside one five minutes, alone in a range that starts inside it, so
  // the agents' list must take the five minutes the range starts in.
  reply('bo', 'edge', 6, T(13, 1)),
  reply('cy', 'edge', 6, T(13, 1, 30)),
  reply('bo', 'edge', 6, T(13, 2)),
  reply('cy', 'edge', 6, T(13, 3)),
  // "steady": cy every 7 minutes through day 2's morning, so the series has several intervals.
  ...Array.from({ length: 12 }, (_, i) => reply('cy', 'steady', 2, T(6) + i * 7 * MINUTE + (i % 3) * 1_001)),
];
const data = { replies, deadLetters: [] };

/** The SQL these panels ran before (one group per agent and conversation_id), as the reference for rows stored twice. */
const W = '$__timeFilter_ms(event_time) AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)';
const PREVIOUS_GAPS = `SELECT arrayPopFront(times) AS at_ms, arrayPopFront(arrayDifference(times)) AS gaps
FROM (SELECT arraySort(groupArray(toUnixTimestamp64Milli(event_time))) AS times FROM aksita.human_agent_replies WHERE ${W} GROUP BY agent, conversation_id)`;
const PREVIOUS: Record<(typeof TITLES)[number], string> = {
  'Median gap between replies': `SELECT quantileExactInclusiveArrayOrNull(0.5)(gaps) AS p50 FROM (${PREVIOUS_GAPS})`,
  'Gap between consecutive replies': `SELECT time, q[1] AS p50, q[2] AS p90 FROM (
  SELECT $__timeInterval(fromUnixTimestamp64Milli(t, 'UTC')) AS time, quantilesExactInclusive(0.5, 0.9)(gap) AS q
  FROM (${PREVIOUS_GAPS}) ARRAY JOIN at_ms AS t, gaps AS gap GROUP BY time) ORDER BY time`,
};

let store: ChdbStore;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ store, close } = await openMigratedStore('aksita-reply-gaps-'));
  const rows = replies.map(toReplyRow).reverse();
  for (let i = 0; i < rows.length; i += 5) await store.insertReplies(rows.slice(i, i + 5), `reply-gaps:${i}`);
});

afterAll(async () => {
  await close?.();
});

const at = (day: number, offsetMs: number) => WEEK_START + day * DAY + offsetMs;
const scenario = (name: string, fromMs: number, toMs: number, intervalMs: number, agents: Scenario['agents'] = 'All'): Scenario => ({ name, fromMs, toMs, intervalMs, agents });
const scenarios: Scenario[] = [
  scenario('the whole week, hourly', WEEK_START, WEEK_START + 7 * DAY, HOUR),
  scenario('the whole week, daily', WEEK_START, WEEK_START + 7 * DAY, DAY),
  scenario('days 0 and 1, without steady', WEEK_START, at(2, 0) - 1, HOUR),
  scenario('from 10:05 on day 0 (shared loses its first pair for each agent)', at(0, T(10, 5)), WEEK_START + 7 * DAY, HOUR),
  scenario('day 1 to the middle of day 2, by the minute', at(1, 0), at(2, T(6, 40)), MINUTE),
  scenario('anna only', WEEK_START, WEEK_START + 7 * DAY, HOUR, ['anna']),
  scenario('bo and cy', WEEK_START, WEEK_START + 7 * DAY, 10 * MINUTE, ['bo', 'cy']),
  scenario('one reply per conversation', at(3, 0), at(3, DAY - 1), HOUR),
  scenario('nothing in range', at(5, 0), at(6, 0), HOUR),
  scenario('inside five minutes on day 6', at(6, T(13, 0, 30)), at(6, T(13, 4, 59)), MINUTE),
];

describe('reply gaps', () => {
  it('the replies tell conversations from conversation ids: grouped by conversation_id alone both panels differ', () => {
    const byIdOnly = { replies: replies.map((r) => ({ ...r, agent: 'one' })), deadLetters: [] };
    for (const title of TITLES) {
      const differs = scenarios.filter((s) => s.agents === 'All').some((s) => JSON.stringify(latency[title]!(s, byIdOnly)) !== JSON.stringify(latency[title]!(s, data)));
      expect(differs, title).toBe(true);
    }
    const zeros = (list: FixtureReply[]) => gaps(inScenario(list, scenarios[0]!)).filter((g) => g.gapMs === 0).length;
    expect(zeros(replies)).toBe(1); // anna's two replies in one millisecond
    expect(zeros(byIdOnly.replies)).toBe(2); // and cy's in the same millisecond
  });

  for (const title of TITLES) {
    it.each(scenarios.map((s) => [s.name, s] as const))(`"${title}" equals the oracle: %s`, async (_name, s) => {
      const actual = await runTable(store, expandFor(panel(title).query.rawSql, s, AGENTS));
      const expected = latency[title]!(s, data);
      expect(actual.columns).toEqual(expected.columns);
      expectRows(actual.rows, expected.rows, s.name);
    });
  }

  it("known answer: the median of the week's 20 gaps", async () => {
    const rows = (await runTable(store, expandFor(panel(TITLES[0]).query.rawSql, scenarios[0]!, AGENTS))).rows;
    // anna 0, 10 and 40 min; bo 1, 10 and 11 min and 2 d 7 h 55 min; cy 1.5 min, 29 min 53 s and
    // steady's 3 × (7 min − 2002 ms) and 8 × (7 min + 1001 ms): the 10th and 11th of the 20 are 7 min + 1001 ms.
    expect(rows).toEqual([[7 * MINUTE + 1_001]]);
  });

  it('with every row stored twice (merges stopped) both panels still give what the previous SQL gave', async () => {
    await store.query('SYSTEM STOP MERGES aksita.human_agent_replies', { format: 'TSV' });
    const rows = replies.map(toReplyRow);
    await store.insertReplies(rows, 'reply-gaps:again');
    expect(Number((await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows[0]![0])).toBe(2 * rows.length);
    for (const title of TITLES)
      for (const s of scenarios) {
        const now = await runTable(store, expandFor(panel(title).query.rawSql, s, AGENTS));
        const before = await runTable(store, expandFor(PREVIOUS[title], s, AGENTS));
        expect(now, `${title}: ${s.name}`).toEqual(before);
      }
  });
});
