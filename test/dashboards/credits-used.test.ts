// "Credits used per day" sums per agent and UTC day the drops in the balance between the agent's
// consecutive replies, in the order (event_time, received_at, message_id), each drop on the day of
// the later reply. The panel sorts each (agent, day) by event_time alone and adds the pair across
// days separately; an agent with two replies in the same millisecond and different balances takes
// the full order (dashboards/remaining-credits.ts). These replies are built to catch a wrong answer
// from either path: drops across midnight, across a day without replies and from a day with one
// reply; top-ups inside a day and across days; replies in the same millisecond with equal balances
// (any order gives the same drops) and with different balances, ordered by receipt against their
// message ids and balances, and by message id alone when receipt ties too; rows stored out of
// order and twice. Every range must give what the oracle gives from the replies alone.
//
// The panel's days are toDate(event_time), which wraps outside 1970-01-01 .. 2149-06-06: a range
// reaching past either end must give what the per-day groups gave there (days as toDate counts
// them, each sorted by time, in the order of those days), not what sorting all of an agent's
// replies by time would give; and the same as inside for replies that are inside.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { remainingCredits } from './expected-credits-health.js';
import { balanceReply, DAY, HOUR, toReplyRow, WEEK_START, type FixtureReply } from './fixture.js';
import { byLatest, groupBy, replies as inScenario, type Scenario } from './oracle.js';
import { expandFor, panelQueries, runTable } from './panel-queries.js';
import { expectRows } from './expect-rows.js';

const MINUTE = 60_000;
const AGENTS = ['calm', 'quiet', 'tied'];
const panel = panelQueries().find((q) => q.panel.title === 'Credits used per day')!;

let seq = 0;
function reply(agent: string, day: number, offsetMs: number, remaining: number, opts: { latency?: number; id?: number } = {}): FixtureReply {
  const eventMs = WEEK_START + day * DAY + offsetMs;
  const receivedMs = eventMs + (opts.latency ?? 500);
  const n = opts.id ?? (seq += 1);
  return balanceReply({ agent, agentIndex: AGENTS.indexOf(agent) + 1, n, conversation: `${agent}-${day}`, eventMs, receivedMs, remaining });
}

const T = (h: number, m = 0) => h * HOUR + m * MINUTE;
const replies: FixtureReply[] = [
  // calm: same-millisecond replies only with equal balances, so event_time alone orders it.
  reply('calm', 0, T(9), 1_000),
  reply('calm', 0, T(10), 990, { latency: 900 }),
  reply('calm', 0, T(10), 990, { latency: 100 }),
  reply('calm', 0, T(11), 1_200), // top-up inside a day
  reply('calm', 0, T(12), 1_150),
  reply('calm', 0, DAY - 1, 1_100), // the day's last reply, one millisecond before midnight
  reply('calm', 1, 0, 1_090), // at midnight: a drop of 10 across the days
  reply('calm', 1, T(13), 1_095),
  reply('calm', 1, T(14), 1_080),
  reply('calm', 2, T(8), 1_070), // a day with one reply: 10 from the previous day's last
  // no reply on day 3
  reply('calm', 4, T(7), 1_040), // 30 across the empty day
  reply('calm', 4, T(7, 30), 2_000), // top-up
  reply('calm', 4, T(8), 1_990),
  reply('calm', 5, T(6), 2_500), // top-up across days: no drop on day 5
  reply('calm', 5, T(9), 2_460),
  // quiet: one reply a day, every other day.
  reply('quiet', 0, T(20), 500),
  reply('quiet', 2, T(20), 470),
  reply('quiet', 4, T(20), 480),
  // tied: 50, then 100 and 80 in the same millisecond, received in that order although their
  // message ids and balances order them the other way (20 used; 0 by message id or balance);
  // then 90 and 60 in one millisecond received in the same millisecond, so only the message ids
  // order them (80 -> 90 -> 60 -> 85: 30 used; 25 ordered by balance).
  reply('tied', 0, T(10) - MINUTE, 50),
  reply('tied', 0, T(10), 80, { latency: 300, id: 9003 }),
  reply('tied', 0, T(10), 100, { latency: 200, id: 9004 }),
  reply('tied', 0, T(11), 90, { latency: 400, id: 9010 }),
  reply('tied', 0, T(11), 60, { latency: 400, id: 9011 }),
  reply('tied', 0, T(12), 85),
  reply('tied', 1, T(3), 70),
  reply('tied', 1, T(4), 65),
  reply('tied', 3, T(5), 40),
];
const data = { replies, deadLetters: [] };

// early: a reply on 1969-12-31, which toDate counts as 2149-06-06, two on 1970-01-01 and one in
// 2150, which toDate counts as 1970-07-28. By those days 90 -> 70 (1970-01-01, the agent's first),
// 70 -> 60 (1970-07-28), 60 -> 100 (2149-06-06); by time 100 -> 90 -> 70 -> 60. The message ids
// order 1970-01-01's two replies against their times, and so does the table.
const early = [
  reply('early', 0, -HOUR - WEEK_START, 100),
  reply('early', 0, HOUR - WEEK_START, 90, { id: 8002 }),
  reply('early', 0, 2 * HOUR - WEEK_START, 70, { id: 8001 }),
  reply('early', 0, Date.UTC(2150, 0, 1) - WEEK_START, 60),
];
const oracle = remainingCredits['Credits used per day']!;

let store: ChdbStore;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ store, close } = await openMigratedStore('aksita-credits-used-'));
  // Stored newest first in small batches, so no group meets its rows in time order; then some
  // stored a second time under a new token with merges stopped, so the table holds them twice.
  const rows = replies.map(toReplyRow).reverse();
  for (let i = 0; i < rows.length; i += 4) await store.insertReplies(rows.slice(i, i + 4), `credits-used:${i}`);
  await store.insertReplies(early.map(toReplyRow), 'credits-used:early');
  await store.query('SYSTEM STOP MERGES aksita.human_agent_replies', { format: 'TSV' });
  await store.insertReplies([rows[0]!, rows[5]!, rows[20]!], 'credits-used:again');
  expect(Number((await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows[0]![0])).toBe(rows.length + early.length + 3);
});

afterAll(async () => {
  await close?.();
});

const at = (day: number, offsetMs: number) => WEEK_START + day * DAY + offsetMs;
const scenario = (name: string, fromMs: number, toMs: number, agents: Scenario['agents'] = 'All'): Scenario => ({ name, fromMs, toMs, intervalMs: DAY, agents });
const scenarios: Scenario[] = [
  scenario('the whole week', WEEK_START, WEEK_START + 7 * DAY),
  scenario('from inside day 0 (the drops before the range are not seen)', at(0, T(10, 30)), WEEK_START + 7 * DAY),
  scenario('ending on a tied millisecond', WEEK_START, at(0, T(11))),
  scenario('from day 1: tied has no tie left', at(1, 0), WEEK_START + 7 * DAY),
  scenario('days 1 to 2 exactly (the midnight reply and the end)', at(1, 0), at(2, T(8))),
  scenario('tied alone', WEEK_START, WEEK_START + 7 * DAY, ['tied']),
  scenario('calm and quiet', WEEK_START, WEEK_START + 7 * DAY, ['calm', 'quiet']),
  scenario('calm alone, from the empty day on', at(3, 0), WEEK_START + 7 * DAY, ['calm']),
  scenario('nothing in range', at(6, T(12)), WEEK_START + 7 * DAY),
];

/**
 * What a wrong query would answer: the oracle's sums with another order or another pairing, so
 * the test can show its replies tell each of them from the right answer.
 */
function variant(s: Scenario, opts: { order?: (a: FixtureReply, b: FixtureReply) => number; pairs?: 'within days' | 'previous calendar day' }): Map<string, number> {
  const out = new Map<string, number>();
  for (const [agent, list] of groupBy(inScenario(replies, s), (r) => r.agent)) {
    const sorted = [...list].sort(opts.order ?? byLatest);
    const day = (r: FixtureReply) => Math.floor(r.eventMs / DAY);
    sorted.forEach((r, i) => {
      const prev = sorted[i - 1];
      const counted = prev !== undefined && (opts.pairs === undefined || day(prev) === day(r) || (opts.pairs === 'previous calendar day' && day(prev) === day(r) - 1));
      const key = `${day(r)} ${agent}`;
      out.set(key, (out.get(key) ?? 0) + (counted ? Math.max(prev.remaining - r.remaining, 0) : 0));
    });
  }
  return out;
}

describe('Credits used per day', () => {
  it('the replies tell the right answer from a wrong order or a wrong pair across days', () => {
    const right = (s: Scenario) => variant(s, {});
    const wrong = {
      'message id after event time': { order: (a: FixtureReply, b: FixtureReply) => a.eventMs - b.eventMs || a.messageId.localeCompare(b.messageId) },
      'balance after event time': { order: (a: FixtureReply, b: FixtureReply) => a.eventMs - b.eventMs || a.remaining - b.remaining },
      'balance after event time and receipt': { order: (a: FixtureReply, b: FixtureReply) => a.eventMs - b.eventMs || a.receivedMs - b.receivedMs || a.remaining - b.remaining },
      'no pair across days': { pairs: 'within days' as const },
      'pairs across consecutive calendar days only': { pairs: 'previous calendar day' as const },
    };
    for (const [name, opts] of Object.entries(wrong)) {
      const differs = scenarios.some((s) => JSON.stringify([...variant(s, opts)]) !== JSON.stringify([...right(s)]));
      expect(differs, name).toBe(true);
    }
    // Unchanged, the variant is the oracle the panel is held to.
    for (const s of scenarios) {
      const fromOracle = oracle(s, data).rows.map((r) => [`${Date.parse(`${String(r[0]).replace(' ', 'T')}Z`) / DAY} ${String(r[1])}`, r[2]]);
      expect(
        [...right(s)].sort(([a], [b]) => a.localeCompare(b)),
        s.name,
      ).toEqual(fromOracle);
    }
    // calm ties only with equal balances; tied with different ones.
    const sameMs = (agent: string) =>
      [
        ...groupBy(
          replies.filter((r) => r.agent === agent),
          (r) => r.eventMs,
        ).values(),
      ].filter((g) => g.length > 1);
    expect(sameMs('calm').every((g) => new Set(g.map((r) => r.remaining)).size === 1) && sameMs('calm').length > 0).toBe(true);
    expect(sameMs('tied').filter((g) => new Set(g.map((r) => r.remaining)).size > 1)).toHaveLength(2);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('equals the oracle: %s', async (_name, s) => {
    const actual = await runTable(store, expandFor(panel.query.rawSql, s, AGENTS));
    const expected = oracle(s, data);
    expect(actual.columns).toEqual(expected.columns);
    expectRows(actual.rows, expected.rows, s.name);
  });

  it('known answers: 20 + 30 used by tied on day 0, 10 across midnight and 30 across the empty day by calm', async () => {
    const rows = (await runTable(store, expandFor(panel.query.rawSql, scenarios[0]!, AGENTS))).rows;
    const get = (day: number, agent: string) => rows.find((r) => r[0] === `2026-03-0${2 + day} 00:00:00` && r[1] === agent)?.[2];
    expect(get(0, 'tied')).toBe(20 + 30);
    expect(get(1, 'calm')).toBe(10 + 15);
    expect(get(4, 'calm')).toBe(30 + 10);
    expect(get(2, 'calm')).toBe(10);
    expect(get(5, 'calm')).toBe(40);
  });

  it('a range reaching past 1970 and 2149 takes the days in the order toDate gives them, as the per-day groups did', async () => {
    const s = scenario('1969-12-31 to 2200', -DAY, Date.UTC(2200, 0, 1), ['early']);
    const actual = await runTable(store, expandFor(panel.query.rawSql, s, [...AGENTS, 'early']));
    // Sorted by time alone, 1970-01-01 would have 10 more (100 -> 90 across the days). The day
    // 2149-06-06 shows as 2013-04-29 17:31:44 (toDateTime wraps too), as before.
    expect(actual.rows).toEqual([
      ['1970-01-01 00:00:00', 'early', 20],
      ['1970-07-28 00:00:00', 'early', 10],
      ['2013-04-29 17:31:44', 'early', 0],
    ]);
  });

  it.each([
    ['the whole week, ending in 2200', { ...scenarios[0]!, agents: AGENTS }],
    ['tied alone, ending in 2200', scenarios[5]!],
  ])('a range reaching past 2149-06-06 gives the same for replies before it: %s', async (_name, s) => {
    const actual = await runTable(store, expandFor(panel.query.rawSql, { ...s, toMs: Date.UTC(2200, 0, 1) }, AGENTS));
    expectRows(actual.rows, oracle(s, data).rows, s.name);
  });
});
