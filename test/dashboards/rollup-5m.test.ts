// The five-minute rollup (migration 4) agrees with the replies table: after retried inserts,
// duplicates not yet merged, a re-run backfill, and for rows stored before the migration
// existed. And the panels that read it equal the oracle over ranges whose ends fall inside
// five minutes, at intervals that are and are not a multiple of five minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../../store/chdb-store.js';
import { applyMigrations } from '../../store/migrate.js';
import { migrations } from '../../store/migrations.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { remainingCredits } from './expected-credits-health.js';
import { replyVolume, type PanelOracle } from './expected-volume-latency.js';
import { buildDeadLetters, buildReplies, DAY, HOUR, toReplyRow, WEEK_START } from './fixture.js';
import type { Scenario } from './oracle.js';
import { expandFor, panelQueries, runTable } from './panel-queries.js';

const replies = buildReplies();
const rows = replies.map(toReplyRow);
const AGENTS = ['billing', 'sales', 'support'];
const KEY = '(event_time, received_at, message_id)';

const FROM_ROLLUP = `SELECT agent, bucket, uniqExactMerge(conversations), min(first), max(latest), max(highest)
  FROM aksita.replies_5m GROUP BY agent, bucket ORDER BY agent, bucket`;
// How the run-out reads it: FINAL instead of GROUP BY.
const FROM_ROLLUP_FINAL = `SELECT agent, bucket, finalizeAggregation(conversations), first, latest, highest
  FROM aksita.replies_5m FINAL ORDER BY agent, bucket`;
// The table's own answer, with argMin/argMax as the panels used to ask it.
const FROM_TABLE = `SELECT agent, toStartOfInterval(toDateTime(event_time), INTERVAL 300 second) AS bucket, uniqExact(conversation_id),
    (min(${KEY}) AS k).1, k.2, k.3, argMin(remaining_credits, ${KEY}), (max(${KEY}) AS l).1, l.2, l.3, argMax(remaining_credits, ${KEY}), max(remaining_credits)
  FROM aksita.human_agent_replies GROUP BY agent, bucket ORDER BY agent, bucket`;
const BACKFILL = migrations.find((m) => m.version === 4)!.statements.at(-1)!;

async function expectAgreement(store: ChdbStore): Promise<void> {
  const table = (await runTable(store, FROM_TABLE)).rows;
  expect(table.length).toBeGreaterThan(20);
  const flat = (rows: unknown[][]) => rows.map((r) => r.flat());
  expect(flat((await runTable(store, FROM_ROLLUP)).rows)).toEqual(table);
  expect(flat((await runTable(store, FROM_ROLLUP_FINAL)).rows)).toEqual(table);
}

/** The panels that read the rollup, with their oracles. */
const PANELS: Record<string, PanelOracle> = {
  Conversations: replyVolume.Conversations!,
  'Replies per conversation': replyVolume['Replies per conversation']!,
  'Active conversations over time': replyVolume['Active conversations over time']!,
  'Replies by agent': replyVolume['Replies by agent']!,
  'Remaining credits over time': remainingCredits['Remaining credits over time']!,
};

describe('a store migrated before any reply arrived', () => {
  let store: ChdbStore;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ store, close } = await openMigratedStore('aksita-rollup-5m-'));
    await store.insertReplies(rows.slice(0, 60), 'rollup5m:0:a');
    await store.insertReplies(rows.slice(60), 'rollup5m:0:b');
  });
  afterAll(async () => {
    await close?.();
  });

  it('the view keeps one row of state per agent and five minutes that equals the table', async () => {
    await expectAgreement(store);
  });

  it('a retried insert (dropped by the table, seen by the view) leaves the rollup equal to the table', async () => {
    await store.insertReplies(rows.slice(0, 60), 'rollup5m:0:a');
    expect((await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows).toEqual([[rows.length]]);
    await expectAgreement(store);
  });

  it('a duplicate with a new token (not yet collapsed by the table) leaves the rollup equal to the table', async () => {
    await store.insertReplies(rows.slice(100, 120), 'rollup5m:0:again');
    expect((await runTable(store, 'SELECT count() FROM aksita.human_agent_replies')).rows).toEqual([[rows.length + 20]]);
    await expectAgreement(store);
    await store.query('OPTIMIZE TABLE aksita.human_agent_replies FINAL', { format: 'TSV' });
    await store.query('OPTIMIZE TABLE aksita.replies_5m FINAL', { format: 'TSV' });
    await expectAgreement(store);
  });

  it('running the backfill again (a crash before the migration was recorded) changes nothing', async () => {
    await store.query(BACKFILL, { format: 'TSV' });
    await expectAgreement(store);
  });

  // Ends inside five minutes (and on a boundary), at intervals of 1 min (table only), 5 min,
  // 10 min, 1 h and 1 day, for all agents and for one: rollup + table ends = the oracle.
  const ranges: [number, number][] = [
    [WEEK_START, WEEK_START + 7 * DAY],
    [WEEK_START + 5 * DAY + 10 * HOUR + 123_457, WEEK_START + 5 * DAY + 11 * HOUR + 30 * 60_000 - 1],
    [WEEK_START + 5 * DAY + 10 * HOUR + 60_000, WEEK_START + 5 * DAY + 10 * HOUR + 240_000],
    [WEEK_START - 2 * DAY + 7, WEEK_START + 3.5 * DAY + 299_999],
  ];
  const scenarios: Scenario[] = ranges.flatMap(([fromMs, toMs]) =>
    [60_000, 300_000, 600_000, HOUR, DAY].flatMap((intervalMs) =>
      (['All', ['support']] as const).map((agents) => ({ name: `${fromMs}-${toMs} every ${intervalMs} ms, ${String(agents)}`, fromMs, toMs, intervalMs, agents })),
    ),
  );

  it.each(Object.keys(PANELS))('"%s" equals the oracle for every range, interval and agent choice', async (title) => {
    const panel = panelQueries().find((q) => q.panel.title === title)!;
    const data = { replies, deadLetters: buildDeadLetters() };
    for (const s of scenarios) {
      const expected = PANELS[title]!(s, data);
      const actual = await runTable(store, expandFor(panel.query.rawSql, s, AGENTS));
      expect(actual.columns, s.name).toEqual(expected.columns);
      expect(actual.rows, s.name).toEqual(expected.rows);
    }
  });
});

describe('a store that already held replies when migration 4 ran', () => {
  it('the backfill brings the rollup level with the table, and new rows keep it level', async () => {
    const dir = await tempDir('aksita-rollup-5m-late-');
    const store = await ChdbStore.open(dir.path);
    try {
      const run = async (sql: string) => (await store.query(sql, { format: 'TSVRaw' })).toString('utf8');
      await applyMigrations(
        run,
        migrations.filter((m) => m.version < 4),
      );
      await store.insertReplies(rows.slice(0, 70), 'late5m:0:a');
      expect(
        await applyMigrations(
          run,
          migrations.filter((m) => m.version <= 5),
        ),
      ).toEqual([4, 5]);
      await expectAgreement(store);
      await store.insertReplies(rows.slice(70), 'late5m:0:b');
      await expectAgreement(store);
    } finally {
      await store.close();
      await dir.remove();
    }
  });
});
