// Every panel of every dashboard, expanded as Grafana and the plugin would and run on real chDB
// over the fixture, must return the shape its panel needs and the values the JavaScript oracle
// computes from the same rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ChdbStore } from '../../store/chdb-store.js';
import { AGENT_VARIABLE_SQL } from '../../dashboards/dashboard-base.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { pipelineHealth, remainingCredits } from './expected-credits-health.js';
import { latency, replyVolume, type PanelOracle } from './expected-volume-latency.js';
import { buildDeadLetters, buildReplies, DAY, HOUR, toDeadLetterRow, toReplyRow, WEEK_START } from './fixture.js';
import { expandFor, isNumericType, panelQueries, runTable, type PanelQuery, type Result } from './panel-queries.js';
import type { Scenario } from './oracle.js';
import { expectRows } from './expect-rows.js';

const oracles: Record<string, Record<string, PanelOracle>> = {
  'aksita-reply-volume': replyVolume,
  'aksita-latency': latency,
  'aksita-credits': remainingCredits,
  'aksita-pipeline-health': pipelineHealth,
};

const AGENTS = ['billing', 'sales', 'support'];
const scenarios: Scenario[] = [
  { name: 'the week, all agents, daily buckets', fromMs: WEEK_START, toMs: WEEK_START + 7 * DAY, intervalMs: DAY, agents: 'All' },
  { name: 'one day, sales only, hourly buckets', fromMs: WEEK_START + 3 * DAY, toMs: WEEK_START + 4 * DAY, intervalMs: HOUR, agents: ['sales'] },
  { name: 'mid-week to mid-week, support and billing, 6 h buckets', fromMs: WEEK_START + 1.5 * DAY, toMs: WEEK_START + 5.25 * DAY + 1234, intervalMs: 6 * HOUR, agents: ['support', 'billing'] },
  { name: 'an empty range after the data', fromMs: WEEK_START + 8 * DAY, toMs: WEEK_START + 9 * DAY, intervalMs: HOUR, agents: 'All' },
];

const replies = buildReplies();
const deadLetters = buildDeadLetters();
const data = { replies, deadLetters };
const queries = panelQueries();

let store: ChdbStore;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ store, close } = await openMigratedStore('aksita-dashboards-'));
  const rows = replies.map(toReplyRow);
  const batches = [rows.slice(0, 15), rows.slice(15, 30), rows.slice(30)];
  for (const [i, batch] of batches.entries()) await store.insertReplies(batch, `fixture:0:${i}`);
  // A consumer that crashed before committing retries its batch with the same token: no-op.
  await store.insertReplies(batches[1]!, 'fixture:0:1');
  await store.insertDeadLetters(deadLetters.map(toDeadLetterRow), 'fixture:0:dl');
  await store.insertDeadLetters(deadLetters.map(toDeadLetterRow), 'fixture:0:dl');
});

afterAll(async () => {
  await close?.();
});

function organizedColumns(panel: Panel): string[] | undefined {
  const organize = panel.transformations?.find((t) => t.id === 'organize');
  return organize ? Object.keys(organize.options.indexByName as Record<string, number>) : undefined;
}

/** The result fits what the panel draws. */
function expectShape(q: PanelQuery, r: Result): void {
  const { panel, query } = q;
  if (query.format === 0) {
    expect(r.columns[0], 'first column of a time series').toBe('time');
    expect(r.types[0]).toMatch(/^DateTime/);
    const rest = r.types.slice(1);
    expect(rest.some(isNumericType), 'at least one numeric series').toBe(true);
    for (const t of rest) expect(isNumericType(t) || /String/.test(t), `column type ${t}`).toBe(true);
    const times = r.rows.map((row) => String(row[0]));
    expect(times, 'time ascending').toEqual([...times].sort());
    if (panel.type === 'heatmap') for (const name of r.columns.slice(1)) expect(name === '+Inf' || Number.isFinite(Number(name))).toBe(true);
    return;
  }
  const listed = organizedColumns(panel);
  if (panel.type === 'stat' && !listed) {
    expect(r.rows, 'a stat is one value').toHaveLength(1);
    expect(r.columns).toHaveLength(1);
    expect(r.types[0]).toSatisfy(isNumericType);
    return;
  }
  expect(listed, `${panel.type} panels list their columns`).toBeDefined();
  expect(r.columns).toEqual(listed);
  if (panel.type === 'stat') for (const t of r.types.slice(1)) expect(t).toSatisfy(isNumericType);
}

const run = (title: string, s: Scenario) => {
  const q = queries.find((x) => x.panel.title === title)!;
  return runTable(store, expandFor(q.query.rawSql, s, AGENTS));
};

describe('fixture as stored', () => {
  it('a plain count is exact: the retried batches added nothing', async () => {
    const r = await runTable(store, 'SELECT (SELECT count() FROM aksita.human_agent_replies) AS replies, (SELECT count() FROM aksita.dead_letters) AS dead');
    expect(r.rows).toEqual([[replies.length, deadLetters.length]]);
  });

  it('every panel has an oracle, and every oracle a panel', () => {
    const panelNames = queries.map((q) => q.name).sort();
    const oracleNames = Object.entries(oracles)
      .flatMap(([uid, o]) => Object.keys(o).map((t) => `${uid} / ${t}`))
      .sort();
    expect(panelNames).toEqual(oracleNames);
  });

  it('the agent variable lists every agent once, sorted', async () => {
    const r = await runTable(store, AGENT_VARIABLE_SQL);
    expect(r.rows.map((row) => row[0])).toEqual(AGENTS);
  });
});

// A few answers written out by hand, so a shared mistake in fixture and oracle cannot pass unseen.
describe('known answers over the fixture week', () => {
  const week = scenarios[0]!;

  it('141 replies: 21 sales, 116 support (one at exactly the range start, 100 in a burst), 4 billing; 2 outside the week', async () => {
    expect((await run('Replies', week)).rows).toEqual([[141]]);
    expect((await run('Replies by agent', week)).rows.map((r) => r.slice(0, 2))).toEqual([
      ['support', 116],
      ['sales', 21],
      ['billing', 4],
    ]);
  });

  it('a reply sent at 21:30 in New York on 4 March counts on 5 March (UTC)', async () => {
    const day = (await run('Replies over time', week)).rows;
    expect(day.find((r) => r[0] === '2026-03-05 00:00:00')![1]).toBe(6);
  });

  it("run-out: sales (-400/day from 10 000) on 27 March; support on 23 March 12:00, fitted only after its top-up; billing's flat balance never", async () => {
    const rows = (await run('Projected run-out', week)).rows;
    expect(rows.map((r) => [r[0], r[3]])).toEqual([
      ['billing', null],
      ['sales', '2026-03-27 00:00:00'],
      ['support', '2026-03-23 12:00:00'],
    ]);
    expect(rows[1]![2]).toBeCloseTo(400, 6);
    expect(rows[2]![2]).toBeCloseTo(500, 6);
  });

  it('the latest balance ignores a reply after the range end, and survives an empty range', async () => {
    const empty = scenarios[3]!;
    expect((await run('Remaining credits', empty)).rows).toEqual((await run('Remaining credits', week)).rows);
  });
});

// The server's own time zone must not move a bucket or a day: Kolkata is UTC+5:30, so even
// hour buckets would shift if any expression used it.
describe.each(['UTC', 'Asia/Kolkata'])('server time zone %s', (zone) => {
  beforeAll(async () => {
    await store.query(`SET session_timezone = '${zone}'`, { format: 'TSV' });
    expect((await runTable(store, 'SELECT timezone()')).rows).toEqual([[zone]]);
  });
  afterAll(async () => {
    await store.query("SET session_timezone = 'UTC'", { format: 'TSV' });
  });

  describe.each(scenarios)('$name', (scenario) => {
    it.each(queries)('$name', async (q) => {
      const result = await runTable(store, expandFor(q.query.rawSql, scenario, AGENTS));
      expectShape(q, result);
      const oracle = oracles[q.dashboard.uid!]![q.panel.title!]!;
      const expected = oracle(scenario, data);
      expect(result.columns).toEqual(expected.columns);
      expectRows(result.rows, expected.rows);
    });
  });
});
