// "Remaining credits" (each agent's latest balance at or before the range end, over all
// history) reads the five-minute rollup (migration 4) and the table's last partial five
// minutes; migration 5 dropped the daily rollup (migration 3) it used to read. Here the panel
// equals both the oracle and migration 3's definition on the table (argMax by (event_time,
// received_at, message_id)) as of ends on and inside five minutes, with replies in the same
// millisecond, after retried inserts, duplicates not yet merged and a re-run backfill; and
// after migration 5 the daily rollup and its view are gone and inserts still work, on a fresh
// store and on one that held replies and a filled daily rollup when it ran. (The five-minute
// rollup's own agreement with the table, bucket by bucket: rollup-5m.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../../store/chdb-store.js';
import { applyMigrations } from '../../store/migrate.js';
import { migrations } from '../../store/migrations.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { remainingCredits } from './expected-credits-health.js';
import { buildDeadLetters, buildReplies, DAY, HOUR, toReplyRow, WEEK_START, type FixtureReply } from './fixture.js';
import type { Scenario } from './oracle.js';
import { expandFor, panelQueries, runTable } from './panel-queries.js';

const MINUTE = 60_000;
/** Inside five minutes (07:00.123 past the hour), on day 4 of the week. */
const TIE = WEEK_START + 4 * DAY + 7 * MINUTE + 123;

/**
 * Agent "ties": four replies around one millisecond, where the order (event_time, received_at,
 * message_id) and the balance disagree: the latest is m-903 (same time and receipt as m-902,
 * greater id) at 20, although 70, 80 and 99 are higher balances.
 */
function tieReplies(): FixtureReply[] {
  const base = { agent: 'ties', conversation: 'ties-1', offsetMinutes: 0, parts: 1, credits: 0, source: 'human_agent', signature: 'valid' as const };
  return [
    { ...base, messageId: 'm-900', eventMs: TIE - 1, receivedMs: TIE + 900, storedMs: TIE + 950, remaining: 80 },
    { ...base, messageId: 'm-901', eventMs: TIE, receivedMs: TIE + 300, storedMs: TIE + 950, remaining: 99 },
    { ...base, messageId: 'm-903', eventMs: TIE, receivedMs: TIE + 400, storedMs: TIE + 950, remaining: 20 },
    { ...base, messageId: 'm-902', eventMs: TIE, receivedMs: TIE + 400, storedMs: TIE + 950, remaining: 70 },
  ];
}

const replies = [...buildReplies(), ...tieReplies()];
const rows = replies.map(toReplyRow);
const data = { replies, deadLetters: buildDeadLetters() };
const AGENTS = ['billing', 'sales', 'support', 'ties'];
const KEY = '(event_time, received_at, message_id)';
const panel = () => panelQueries().find((q) => q.panel.title === 'Remaining credits')!;

/** Migration 3's answer, from the table alone: argMax over every reply at or before `toMs`. */
const fromTable = (toMs: number, agents: Scenario['agents']) => `SELECT agent, argMax(remaining_credits, ${KEY}) AS remaining_credits
  FROM aksita.human_agent_replies
  WHERE event_time <= fromUnixTimestamp64Milli(toInt64(${toMs}), 'UTC')${agents === 'All' ? '' : ` AND agent IN (${agents.map((a) => `'${a}'`).join(', ')})`}
  GROUP BY agent ORDER BY agent`;

// Ends every 6 hours from before the week to after it (on five-minute boundaries), and inside
// five minutes around the burst and the ties: before, at and after the tied millisecond.
const ends = [
  ...Array.from({ length: 53 }, (_, i) => WEEK_START - DAY + (i * DAY) / 4),
  WEEK_START + 5 * DAY + 10 * HOUR + 123_457,
  WEEK_START + 5 * DAY + 10 * HOUR + 30 * MINUTE - 1,
  TIE - 2,
  TIE - 1,
  TIE,
  TIE + 1,
  TIE + 5 * MINUTE,
];
const scenarios: Scenario[] = ends.flatMap((toMs) =>
  (['All', ['support', 'ties']] as const).map((agents) => ({ name: `${new Date(toMs).toISOString()}, ${String(agents)}`, fromMs: toMs - DAY, toMs, intervalMs: DAY, agents })),
);

/** The panel equals the oracle and the table's argMax as of every end. */
async function expectPanel(store: ChdbStore): Promise<void> {
  const sql = panel().query.rawSql;
  for (const s of scenarios) {
    const expected = remainingCredits['Remaining credits']!(s, data);
    const actual = await runTable(store, expandFor(sql, s, AGENTS));
    expect(actual.columns, s.name).toEqual(expected.columns);
    expect(actual.rows, s.name).toEqual(expected.rows);
    expect((await runTable(store, fromTable(s.toMs, s.agents))).rows, s.name).toEqual(expected.rows);
  }
}

/** The daily rollup's table and view, as far as the engine knows them. */
const dailyRollup = async (store: ChdbStore) => (await runTable(store, "SELECT name FROM system.tables WHERE database = 'aksita' AND name LIKE 'credits_daily%' ORDER BY name")).rows.flat();

const replyCount = async (store: ChdbStore) => (await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows[0]![0];

it('the ties are ordered by key, not by balance: the latest (m-903, 20) is the lowest balance of the four', () => {
  const s: Scenario = { name: 'ties', fromMs: TIE - DAY, toMs: TIE, intervalMs: DAY, agents: ['ties'] };
  expect(remainingCredits['Remaining credits']!(s, data).rows).toEqual([['ties', 20]]);
  expect(remainingCredits['Remaining credits']!({ ...s, toMs: TIE - 1 }, data).rows).toEqual([['ties', 80]]);
});

describe('a store migrated before any reply arrived', () => {
  let store: ChdbStore;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ store, close } = await openMigratedStore('aksita-rollup-'));
    await store.insertReplies(rows.slice(0, 60), 'rollup:0:a');
    await store.insertReplies(rows.slice(60), 'rollup:0:b');
  });
  afterAll(async () => {
    await close?.();
  });

  it('has no daily rollup (migration 5 dropped what migration 3 created), and inserts went through', async () => {
    expect(await dailyRollup(store)).toEqual([]);
    expect((await runTable(store, 'SELECT count() FROM aksita.schema_migrations FINAL WHERE version = 5')).rows).toEqual([[1]]);
    expect(await replyCount(store)).toBe(rows.length);
  });

  it('"Remaining credits" equals the oracle and the table', async () => {
    await expectPanel(store);
  });

  it('a retried insert reaches the view although the table drops it; the max of tuples makes that harmless', async () => {
    await store.query(`CREATE TABLE aksita.count_probe (agent LowCardinality(String), n AggregateFunction(count)) ENGINE = AggregatingMergeTree ORDER BY agent`, { format: 'TSV' });
    await store.query(`CREATE MATERIALIZED VIEW aksita.count_probe_mv TO aksita.count_probe AS SELECT agent, countState() AS n FROM aksita.human_agent_replies GROUP BY agent`, { format: 'TSV' });
    // The second batch again, ties included, with its token: a retry after a lost reply.
    await store.insertReplies(rows.slice(60), 'rollup:0:b');
    // The table skipped the retry (same token) ...
    expect(await replyCount(store)).toBe(rows.length);
    // ... but a counting view saw it: why the rollup holds only idempotent aggregates.
    expect((await runTable(store, 'SELECT countMerge(n) FROM aksita.count_probe')).rows).toEqual([[rows.length - 60]]);
    await store.query('DROP TABLE aksita.count_probe_mv', { format: 'TSV' });
    await store.query('DROP TABLE aksita.count_probe', { format: 'TSV' });
    await expectPanel(store);
  });

  it('a duplicate with a new token (not yet collapsed by the table) leaves the panel unchanged', async () => {
    await store.insertReplies([...rows.slice(10, 20), ...rows.slice(-4)], 'rollup:0:again');
    expect(await replyCount(store)).toBe(rows.length + 14);
    await expectPanel(store);
    await store.query('OPTIMIZE TABLE aksita.human_agent_replies FINAL', { format: 'TSV' });
    await store.query('OPTIMIZE TABLE aksita.replies_5m FINAL', { format: 'TSV' });
    await expectPanel(store);
  });

  it('running the five-minute backfill again (a crash before migration 4 was recorded) changes nothing', async () => {
    await store.query(migrations.find((m) => m.version === 4)!.statements.at(-1)!, { format: 'TSV' });
    await expectPanel(store);
  });
});

describe('a store that held replies and a filled daily rollup when migration 5 ran', () => {
  it('drops the daily rollup and its view, keeps inserting, and the panel stays right', async () => {
    const dir = await tempDir('aksita-rollup-late-');
    const store = await ChdbStore.open(dir.path);
    try {
      const run = async (sql: string) => (await store.query(sql, { format: 'TSVRaw' })).toString('utf8');
      // Replies from before the rollups, then migrations 3 and 4 with their backfills.
      await applyMigrations(
        run,
        migrations.filter((m) => m.version < 3),
      );
      await store.insertReplies(rows.slice(0, 70), 'late:0:a');
      expect(
        await applyMigrations(
          run,
          migrations.filter((m) => m.version < 5),
        ),
      ).toEqual([3, 4]);
      await store.insertReplies(rows.slice(70, 100), 'late:0:b');
      expect(await dailyRollup(store)).toEqual(['credits_daily', 'credits_daily_mv']);
      expect((await runTable(store, 'SELECT count() > 0 FROM aksita.credits_daily')).rows).toEqual([[1]]);

      expect(
        await applyMigrations(
          run,
          migrations.filter((m) => m.version <= 5),
        ),
      ).toEqual([5]);
      expect(await dailyRollup(store)).toEqual([]);
      // A crash before migration 5 was recorded: running it again is harmless.
      for (const statement of migrations.find((m) => m.version === 5)!.statements) await run(statement);
      await store.insertReplies(rows.slice(100), 'late:0:c');
      expect(await replyCount(store)).toBe(rows.length);
      await expectPanel(store);
    } finally {
      await store.close();
      await dir.remove();
    }
  });
});
