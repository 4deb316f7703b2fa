// "Projected run-out" and "Days until credits run out" fit one point per five minutes from the
// five minutes of the last top-up that the five-minute summaries show (dashboards/remaining-credits.ts),
// read from the rollup and the table's ends. These balances are built to catch a wrong point or
// starting point: rises hidden inside five minutes (the balance dips and recovers below its
// first value: not a top-up by that definition), rises inside five minutes that exceed their
// first, rises between five minutes, replies in the same millisecond whose order (received_at,
// then message_id) decides which is last, and replies stored out of order and twice.
// Every range must give what the oracle gives from the replies alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { remainingCredits } from './expected-credits-health.js';
import type { FixtureReply } from './fixture.js';
import { balanceReply, HOUR, toReplyRow, WEEK_START } from './fixture.js';
import type { Scenario } from './oracle.js';
import { expandFor, panelQueries, runTable } from './panel-queries.js';
import { expectRows } from './expect-rows.js';

const MINUTE = 60_000;
const AGENTS = ['hidden', 'seen', 'ties'];

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function reply(agent: string, n: number, eventMs: number, remaining: number, receivedMs = eventMs + 500): FixtureReply {
  return balanceReply({ agent, agentIndex: AGENTS.indexOf(agent) + 1, n, conversation: `${agent}-${Math.floor(n / 7)}`, eventMs, receivedMs, remaining });
}

/** Six hours of replies per agent: a falling balance with small random rises, then a planted pattern. */
function buildReplies(): FixtureReply[] {
  const next = random(7);
  const out: FixtureReply[] = [];
  for (const agent of AGENTS) {
    let balance = 5_000;
    let t = WEEK_START + 9 * HOUR;
    for (let n = 0; n < 240; n++) {
      t += Math.floor(next() * 90_000);
      balance += next() < 0.04 ? Math.round(next() * 400) : -Math.round(next() * 20);
      out.push(reply(agent, n, t, balance));
    }
  }
  const at = WEEK_START + 15 * HOUR; // a five-minute boundary
  // hidden: a top-up at 15:00, then 100, 90, 95, 80 inside 15:10-15:15: the rise 90 → 95 is the
  // last one, and the rollup sees neither it (highest = first, lowest = last) nor any later one.
  [
    [at, 9_000],
    [at + 5 * MINUTE, 8_900],
    [at + 10 * MINUTE + 1_000, 100],
    [at + 11 * MINUTE, 90],
    [at + 12 * MINUTE, 95],
    [at + 13 * MINUTE, 80],
    [at + 20 * MINUTE, 70],
  ].forEach(([ms, v], i) => out.push(reply('hidden', 500 + i, ms!, v!)));
  // seen: the last rise between two five minutes (15:04 → 15:06), nothing inside either.
  [
    [at + 2 * MINUTE, 300],
    [at + 4 * MINUTE, 290],
    [at + 6 * MINUTE, 700],
    [at + 9 * MINUTE, 650],
    [at + 21 * MINUTE, 600],
  ].forEach(([ms, v], i) => out.push(reply('seen', 500 + i, ms!, v!)));
  // ties: three replies in the same millisecond; received_at then message_id order them, and
  // only that order makes 40 → 60 a rise.
  const tie = at + 7 * MINUTE + 123;
  out.push(reply('ties', 500, tie - 1_000, 50), reply('ties', 503, tie, 60, tie + 900), reply('ties', 502, tie, 40, tie + 400), reply('ties', 501, tie, 45, tie + 400));
  out.push(reply('ties', 504, at + 30 * MINUTE, 30));
  return out;
}

const replies = buildReplies();
const data = { replies, deadLetters: [] };

let store: ChdbStore;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ store, close } = await openMigratedStore('aksita-run-out-'));
  // Out of order: the planted replies first, the history after; then a retried batch, which
  // the table drops and the rollup sees again, and duplicates under a new token.
  const rows = replies.map(toReplyRow);
  const isPlanted = (id: string) => Number(id.slice(-4)) >= 500;
  const planted = rows.filter((r) => isPlanted(r.message_id));
  const history = rows.filter((r) => !isPlanted(r.message_id));
  await store.insertReplies(planted, 'run-out:0:0');
  for (let i = 0; i < history.length; i += 97) await store.insertReplies(history.slice(i, i + 97), `run-out:0:${i + 1}`);
  await store.insertReplies(history.slice(0, 97), 'run-out:0:1');
  // Stored twice with a new token, not yet collapsed by a merge (merges stopped, so this holds
  // however fast the engine merges): the table holds these twice, and the rollup holds several
  // rows for their five minutes, which the panels read FINAL.
  await store.query('SYSTEM STOP MERGES aksita.replies_5m', { format: 'TSV' });
  await store.query('SYSTEM STOP MERGES aksita.human_agent_replies', { format: 'TSV' });
  await store.insertReplies([...history.slice(100, 130), ...planted.slice(0, 3)], 'run-out:0:again');
  expect(Number((await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows[0]![0])).toBe(rows.length + 33);
});

afterAll(async () => {
  await close?.();
});

// Ends on and inside five minutes, before, around and after the planted replies.
const ends = [WEEK_START + 9 * HOUR, WEEK_START + 12 * HOUR + 12_345, WEEK_START + 15 * HOUR, WEEK_START + 15 * HOUR + 7 * MINUTE + 123];
const tos = [WEEK_START + 15 * HOUR + 11 * MINUTE + 30_000, WEEK_START + 15 * HOUR + 12 * MINUTE, WEEK_START + 15 * HOUR + 15 * MINUTE - 1, WEEK_START + 16 * HOUR, WEEK_START + 24 * HOUR];
const scenarios: Scenario[] = ends.flatMap((fromMs) =>
  tos.flatMap((toMs) =>
    (['All', ['hidden', 'ties']] as const).map((agents) => ({
      name: `${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}, ${String(agents)}`,
      fromMs,
      toMs,
      intervalMs: HOUR,
      agents,
    })),
  ),
);

describe('run-out over balances that rise where the rollup can and cannot see it', () => {
  // One point per five minutes (the balance at their last reply), from the five minutes of the
  // last top-up the five-minute summaries show: hidden from 15:00 (9 000, 8 900, 80, 70: the
  // rise 90 → 95 inside 15:10-15:15 stays below that five minutes' first, 100, so it does not
  // start a new trend); seen from 15:05 (first 700 above the previous five minutes' last, 290:
  // 650, 600); ties from 15:05 (highest 60 above the first, 50; the last reply of the tied
  // millisecond by received_at, 60, then 30).
  it('the planted last top-ups decide the fit: hidden at 9 000 (the rise inside five minutes is not one), seen at 700, ties at 60', () => {
    const s = scenarios.find((x) => x.fromMs === ends[0] && x.toMs === tos.at(-1) && x.agents === 'All')!;
    const fitPoints = remainingCredits['Projected run-out']!(s, data).rows.map((r) => [r[0], r[1], r[5]]);
    expect(fitPoints).toEqual([
      ['hidden', 70, 4],
      ['seen', 600, 2],
      ['ties', 30, 2],
    ]);
  });

  it.each(['Projected run-out', 'Days until credits run out', 'Credits used per day'])('"%s" equals the oracle for every range', async (title) => {
    const panel = panelQueries().find((q) => q.panel.title === title)!;
    for (const s of scenarios) {
      const actual = await runTable(store, expandFor(panel.query.rawSql, s, AGENTS));
      const expected = remainingCredits[title]!(s, data);
      expect(actual.columns).toEqual(expected.columns);
      expectRows(actual.rows, expected.rows, s.name);
    }
  });
});
