// "Credits used" means one thing everywhere: the report (aksita.daily_agent_summary, migration 2)
// and the Grafana panel "Credits used per day" (dashboards/remaining-credits.ts) must give the
// same figure per day and agent for the same rows and range. The panel's SQL is expanded the way
// Grafana and the ClickHouse plugin expand it (dashboards/macro-expander.ts).
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReportRequest, type ReportInput } from '../../reports/report-params.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import { expandQuery } from '../../dashboards/macro-expander.js';
import { panelQueries, runTable } from '../dashboards/panel-queries.js';
import { inRange } from './expected.js';
import { openFixtureStore, REPLIES, toRow, type FixtureReply } from './fixture.js';
import { exportFile } from './read-back.js';

const AGENTS = ['billing', 'sales', 'support', 'ties'];

// Agent "ties": a top-up and a reply sent in the same millisecond, received in the opposite order
// to their message ids. Both sides order an agent's replies by (event_time, received_at,
// message_id): 50 -> 100 (top-up) -> 80 uses 20 credits; ordered by message_id alone,
// 50 -> 80 -> 100 would use none.
const TIE_MS = Date.UTC(2026, 2, 8, 10, 0, 0);
const tie = (messageId: string, eventMs: number, latency: number, remaining: number): FixtureReply => ({
  agent: 'ties',
  messageId,
  conversationId: 'conv-ties',
  eventMs,
  senderOffset: 0,
  receivedMs: eventMs + latency,
  remaining,
  credits: 0,
  response: ['Tie'],
});
const TIES = [tie('tie-p', TIE_MS - 60_000, 100, 50), tie('tie-z', TIE_MS, 100, 100), tie('tie-a', TIE_MS, 200, 80)];
const DAY = 86_400_000;
const panel = panelQueries().find((q) => q.dashboard.uid === 'aksita-credits' && q.panel.title === 'Credits used per day');

// The dashboards' days are UTC days, so the report is asked for days in UTC.
const cases: [string, ReportInput][] = [
  ['every day of the fixture, all agents', { from: '2026-03-04', to: '2026-03-12', tz: 'UTC' }],
  // Starts mid-day (the drop from the last reply before `from` is not counted) and ends exactly at
  // billing's reply ny-2 (2026-03-09 04:00:00 UTC), which the report's [from, to) leaves out.
  ['mid-day to an instant that is a reply, all agents', { from: '2026-03-06T12:00:00Z', to: '2026-03-09T04:00:00Z', tz: 'UTC' }],
  ['billing only, across its top-up', { from: '2026-03-07', to: '2026-03-09', tz: 'UTC', agent: 'billing' }],
];

let store: ChdbStore;
let dir: string;
let close: () => Promise<void>;
let seq = 0;

beforeAll(async () => {
  ({ store, dir, close } = await openFixtureStore()); // duplicates included: the report reads FINAL, the panel does not
  await store.insertReplies(
    TIES.map((r, i) => toRow(r, 20_000 + i)),
    'fixture:0:ties',
  );
});
afterAll(async () => {
  await close();
});

/** The report's summary as the CLI writes it (JSON), reduced to "day agent" -> credits used. */
async function reportCreditsUsed(input: ReportInput): Promise<Map<string, number>> {
  const file = await exportFile(store, dir, { ...input, format: 'json' }, `parity-${(seq += 1)}.json`);
  const rows = JSON.parse(await readFile(file, 'utf8')) as { day: string; agent: string; credits_used: number }[];
  return new Map(rows.map((r) => [`${r.day} ${r.agent}`, Number(r.credits_used)]));
}

/**
 * The panel over the same range. Grafana's range end is inclusive ($__timeFilter_ms gives
 * `<=`) and the report's is exclusive; event times are whole milliseconds, so [from, to) is
 * [from, to − 1 ms].
 */
async function panelCreditsUsed(input: ReportInput): Promise<Map<string, number>> {
  const req = parseReportRequest({ ...input, format: 'json' });
  const sql = expandQuery(panel!.query.rawSql!, {
    fromMs: req.fromMs,
    toMs: req.toMs - 1,
    intervalMs: DAY,
    variables: { agent: req.agents.length ? req.agents : 'All' },
    options: { agent: AGENTS },
  });
  const result = await runTable(store, sql);
  expect(result.columns).toEqual(['time', 'agent', 'credits_used']);
  return new Map(result.rows.map(([time, agent, used]) => [`${String(time).slice(0, 10)} ${String(agent)}`, Number(used)]));
}

describe('credits used: the report equals the dashboard panel "Credits used per day"', () => {
  it('the panel exists', () => {
    expect(panel, 'aksita-credits / Credits used per day').toBeDefined();
  });

  it('the fixture exercises the boundary rules', () => {
    // A reply exactly at the second case's end, and drops on both sides of that case's start.
    const end = Date.parse(cases[1]![1].to as string);
    expect(REPLIES.some((r) => r.eventMs === end)).toBe(true);
    const start = Date.parse(cases[1]![1].from as string);
    const straddles = AGENTS.filter((agent) => {
      const mine = inRange(REPLIES, { fromMs: 0, toMs: Infinity, tz: 'UTC', agents: [agent] }).sort((a, b) => a.eventMs - b.eventMs);
      const before = mine.filter((r) => r.eventMs < start).at(-1);
      const first = mine.find((r) => r.eventMs >= start);
      return before && first && before.remaining > first.remaining;
    });
    expect(straddles.length).toBeGreaterThan(0);
  });

  it('same-millisecond replies are ordered by receipt, then message id (a known answer)', async () => {
    const input = { from: '2026-03-08', to: '2026-03-08', tz: 'UTC', agent: 'ties' };
    expect([...(await reportCreditsUsed(input))]).toEqual([['2026-03-08 ties', 20]]);
    expect([...(await panelCreditsUsed(input))]).toEqual([['2026-03-08 ties', 20]]);
  });

  it.each(cases)('%s', async (_name, input) => {
    const report = await reportCreditsUsed(input);
    const dashboard = await panelCreditsUsed(input);
    expect([...report.keys()].sort()).toEqual([...dashboard.keys()].sort());
    expect(
      [...report.values()].some((v) => v > 0),
      'some credits were used',
    ).toBe(true);
    for (const [key, used] of report) {
      const want = dashboard.get(key)!;
      // Both sum the same drops; only the order of addition may differ.
      expect(Math.abs(used - want), `${key}: report ${used}, panel ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    }
  });
});
