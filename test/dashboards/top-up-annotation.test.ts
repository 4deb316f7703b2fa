// The credits dashboard's "Credit top-ups" annotation on the dashboard fixture (support is
// topped up on day 3.5; sales only falls; billing is flat): one region per five minutes in
// which a balance rose from one reply to the next, computed here from the replies alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../dashboards/all.js';
import type { ClickHouseQuery } from '../../dashboards/clickhouse-query.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { buildReplies, DAY, HOUR, toReplyRow, WEEK_START } from './fixture.js';
import { expandFor, runTable } from './panel-queries.js';

const FIVE_MINUTES = 300_000;
const replies = buildReplies();
let store: ChdbStore;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ store, close } = await openMigratedStore('aksita-top-ups-'));
  await store.insertReplies(replies.map(toReplyRow), 'top-ups:0');
});

afterAll(async () => {
  await close?.();
});

const annotationSql = (): string => {
  const credits = buildAll().find((d) => d.uid === 'aksita-credits')!;
  const annotation = credits.annotations!.list!.find((a) => a.name === 'Credit top-ups')!;
  return (annotation.target as unknown as ClickHouseQuery).rawSql;
};

/** Five-minute starts (ms) where an agent's balance rose between consecutive replies in [from, to]. */
function expectedTopUps(fromMs: number, toMs: number): [number, string][] {
  const out = new Set<string>();
  for (const agent of new Set(replies.map((r) => r.agent))) {
    const mine = replies.filter((r) => r.agent === agent && r.eventMs >= fromMs && r.eventMs <= toMs).sort((a, b) => a.eventMs - b.eventMs);
    mine.forEach((r, i) => {
      if (i > 0 && r.remaining > mine[i - 1]!.remaining) out.add(JSON.stringify([Math.floor(r.eventMs / FIVE_MINUTES) * FIVE_MINUTES, agent]));
    });
  }
  return [...out].map((x) => JSON.parse(x) as [number, string]).sort((a, b) => a[0] - b[0]);
}

describe('Credit top-ups annotation', () => {
  it.each([
    ['the week', WEEK_START, WEEK_START + 7 * DAY],
    ['from a minute inside day 3', WEEK_START + 3 * DAY + 7 * HOUR + 60_000, WEEK_START + 5 * DAY],
    ['a range without the top-up', WEEK_START, WEEK_START + 3 * DAY],
  ])('marks the five minutes where a balance rose, over %s', async (_name, fromMs, toMs) => {
    const sql = expandFor(annotationSql(), { name: 'x', fromMs, toMs, intervalMs: HOUR, agents: 'All' }, ['billing', 'sales', 'support']);
    const actual = await runTable(store, `SELECT toUnixTimestamp(time) * 1000, tags[1], toUnixTimestamp(timeEnd) - toUnixTimestamp(time), text FROM (${sql})`);
    const expected = expectedTopUps(fromMs, toMs);
    expect(actual.rows.map((r) => [r[0], r[1]])).toEqual(expected);
    for (const r of actual.rows) expect([r[2], r[3]]).toEqual([300, expect.stringMatching(/^support: credits topped up, to \d+/)]);
  });

  it('the week holds exactly the support top-up', () => {
    expect(expectedTopUps(WEEK_START, WEEK_START + 7 * DAY).map((x) => x[1])).toEqual(['support']);
  });
});
