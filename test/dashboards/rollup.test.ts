// The daily credits rollup (migration 3) agrees with the replies table: after retried
// inserts, duplicates not yet merged, a re-run backfill, and for rows stored before the
// migration existed. And the "Remaining credits" panel, which reads it, matches the oracle at
// every 6 hours of the fixture week.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../../store/chdb-store.js';
import { applyMigrations } from '../../store/migrate.js';
import { migrations } from '../../store/migrations.js';
import { tempDir } from '../helpers/temp-dir.js';
import { remainingCredits } from './expected-credits-health.js';
import { buildDeadLetters, buildReplies, DAY, toReplyRow, WEEK_START } from './fixture.js';
import { expandFor, panelQueries, runTable } from './panel-queries.js';

const replies = buildReplies();
const rows = replies.map(toReplyRow);
const AGENTS = ['billing', 'sales', 'support'];
const KEY = '(event_time, received_at, message_id)';

const FROM_ROLLUP = `SELECT agent, day, argMaxMerge(latest_credits) AS balance, maxMerge(latest_at) AS taken_at
  FROM aksita.credits_daily GROUP BY agent, day ORDER BY agent, day`;
const FROM_TABLE = `SELECT agent, toDate(event_time) AS day, argMax(remaining_credits, ${KEY}) AS balance, max(${KEY}) AS taken_at
  FROM aksita.human_agent_replies GROUP BY agent, day ORDER BY agent, day`;
const BACKFILL = migrations.find((m) => m.version === 3)!.statements.at(-1)!;

async function expectAgreement(store: ChdbStore): Promise<void> {
  const table = await runTable(store, FROM_TABLE);
  expect(table.rows.length).toBeGreaterThan(10);
  expect((await runTable(store, FROM_ROLLUP)).rows).toEqual(table.rows);
}

describe('a store migrated before any reply arrived', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: ChdbStore;

  beforeAll(async () => {
    dir = await tempDir('aksita-rollup-');
    store = await ChdbStore.open(dir.path);
    await store.migrate();
    await store.insertReplies(rows.slice(0, 60), 'rollup:0:a');
    await store.insertReplies(rows.slice(60), 'rollup:0:b');
  });
  afterAll(async () => {
    await store?.close();
    await dir?.remove();
  });

  it('the view keeps one row of state per agent and day that equals the table', async () => {
    await expectAgreement(store);
  });

  it('a retried insert reaches the view although the table drops it; argMax makes that harmless', async () => {
    await store.query(
      `CREATE TABLE aksita.count_probe (agent LowCardinality(String), n AggregateFunction(count)) ENGINE = AggregatingMergeTree ORDER BY agent`,
      { format: 'TSV' },
    );
    await store.query(`CREATE MATERIALIZED VIEW aksita.count_probe_mv TO aksita.count_probe AS SELECT agent, countState() AS n FROM aksita.human_agent_replies GROUP BY agent`, { format: 'TSV' });
    const batch = rows.slice(0, 5);
    await store.insertReplies(batch, 'rollup:0:a');
    // The table skipped the retry (same token) ...
    expect((await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows).toEqual([[rows.length]]);
    // ... but a counting view saw it: why the rollup holds only idempotent aggregates.
    expect((await runTable(store, 'SELECT countMerge(n) FROM aksita.count_probe')).rows).toEqual([[batch.length]]);
    await store.query('DROP TABLE aksita.count_probe_mv', { format: 'TSV' });
    await store.query('DROP TABLE aksita.count_probe', { format: 'TSV' });
    await expectAgreement(store);
  });

  it('a duplicate with a new token (not yet collapsed by the table) leaves the rollup equal to the table', async () => {
    await store.insertReplies(rows.slice(10, 20), 'rollup:0:again');
    expect((await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows).toEqual([[rows.length + 10]]);
    await expectAgreement(store);
    await store.query('OPTIMIZE TABLE aksita.human_agent_replies FINAL', { format: 'TSV' });
    await store.query('OPTIMIZE TABLE aksita.credits_daily FINAL', { format: 'TSV' });
    await expectAgreement(store);
  });

  it('running the backfill again (a crash before the migration was recorded) changes nothing', async () => {
    await store.query(BACKFILL, { format: 'TSV' });
    await expectAgreement(store);
  });

  it('"Remaining credits" equals the oracle as of every 6 hours from before the week to after it', async () => {
    const panel = panelQueries().find((q) => q.panel.title === 'Remaining credits')!;
    const data = { replies, deadLetters: buildDeadLetters() };
    for (let to = WEEK_START - DAY; to <= WEEK_START + 12 * DAY; to += DAY / 4) {
      const s = { name: String(to), fromMs: to - DAY, toMs: to, intervalMs: DAY, agents: 'All' as const };
      const expected = remainingCredits['Remaining credits']!(s, data);
      const actual = await runTable(store, expandFor(panel.query.rawSql, s, AGENTS));
      expect(actual.rows, new Date(to).toISOString()).toEqual(expected.rows);
    }
  });
});

describe('a store that already held replies when migration 3 ran', () => {
  it('the backfill brings the rollup level with the table, and new rows keep it level', async () => {
    const dir = await tempDir('aksita-rollup-late-');
    const store = await ChdbStore.open(dir.path);
    try {
      const run = async (sql: string) => (await store.query(sql, { format: 'TSVRaw' })).toString('utf8');
      await applyMigrations(run, migrations.filter((m) => m.version < 3));
      await store.insertReplies(rows.slice(0, 70), 'late:0:a');
      expect(await applyMigrations(run)).toContain(3);
      await expectAgreement(store);
      await store.insertReplies(rows.slice(70), 'late:0:b');
      await expectAgreement(store);
    } finally {
      await store.close();
      await dir.remove();
    }
  });
});
