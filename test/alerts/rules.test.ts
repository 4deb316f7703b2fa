// Each rule's SQL on real chDB against data with a known answer (test/alerts/fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRules, ruleRows } from '../../alerts/evaluate.js';
import { alertRules, type AlertRule, type RuleContext } from '../../alerts/rules.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { caughtUpRows, deadLetterRows, MINUTE, NOW_MS, NOW_SQL, replyRows } from './fixture.js';

const ctx: RuleContext = { now: NOW_SQL, intervalSeconds: 60 };
const rules = alertRules({ creditsDays: 7, creditsFloor: { agents: { 'runs-out': 1_000 }, other: 600 }, stallMinutes: 5, silentAgentMinutes: 60 });
const rule = (id: string): AlertRule => rules.find((r) => r.id === id)!;

let store: ChdbStore;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ store, close } = await openMigratedStore('aksita-alert-rules-'));
  await store.insertReplies(replyRows(), 'alerts:0');
  await store.insertDeadLetters(deadLetterRows(), 'alerts:dl');
});

afterAll(async () => {
  await close?.();
});

/** agent (or check) -> value, rounded, for the rows of one rule. */
async function values(id: string): Promise<Record<string, number>> {
  const rows = await ruleRows(store, rule(id), ctx);
  return Object.fromEntries(rows.map((r) => [Object.values(r.labels).join(','), Math.round(r.value * 100) / 100]));
}

describe('alert rules on data with a known answer', () => {
  it('credits-run-out: 3 days for the falling agent, the topped-up one fitted from its top-up, none for the flat ones', async () => {
    // topped-up: 4 900 falling 50 a day since the top-up: 98 days; a fit across the top-up would rise.
    expect(await values('credits-run-out')).toEqual({ 'runs-out': 3, 'topped-up': 98 });
  });

  it('credits-below-floor: the value is the margin above each agent\'s floor (named, then "*")', async () => {
    expect(await values('credits-below-floor')).toEqual({ 'runs-out': -700, 'topped-up': 4_300, flat: -100, late: 8_400 });
  });

  it('dead-letters: only the one stored within two intervals of now', async () => {
    const rows = await ruleRows(store, rule('dead-letters'), ctx);
    expect(rows.map((r) => [r.labels, r.value, r.values.reasons])).toEqual([[{ agent: 'flat' }, 1, 'invalid_payload']]);
  });

  it('pipeline-stalled: the partition whose consumer was stopped is 9 minutes behind', async () => {
    expect(await values('pipeline-stalled')).toEqual({ stored_lag: 9 });
  });

  it("silent-agent: minutes since each agent's last reply", async () => {
    expect(await values('silent-agent')).toEqual({ 'runs-out': 0, 'topped-up': 0, flat: 180, late: 10 });
  });

  it('evaluateRules keeps the instances past each threshold, and reports a failing rule as failed', async () => {
    const broken: AlertRule = { ...rule('dead-letters'), id: 'broken', sql: () => 'SELECT no_such_column FROM aksita.dead_letters' };
    const result = await evaluateRules(store, [...rules, broken], ctx);
    const firing = Object.fromEntries([...result.firing].map(([id, list]) => [id, list.map((i) => Object.values(i.labels).join(',')).sort()]));
    expect(firing).toEqual({
      'credits-run-out': ['runs-out'],
      'credits-below-floor': ['flat', 'runs-out'],
      'dead-letters': ['flat'],
      'pipeline-stalled': ['stored_lag'],
      'silent-agent': ['flat'],
    });
    expect([...result.failed.keys()]).toEqual(['broken']);
  });

  it('no rule SQL holds a Grafana macro or variable', () => {
    for (const r of rules) expect(r.sql({ now: 'now64(3)', intervalSeconds: 60 })).not.toContain('$');
  });

  // Last in this block: it adds rows (another agent) that the answers above do not expect.
  it('pipeline-stalled: a consumer that stored its backlog and caught up is no longer behind', async () => {
    // Five minutes on, the 'late' rows are out of the window; a second partition stored 8
    // minutes of backlog 30 s ago, its newest reply received 10 s before that.
    const later = NOW_MS + 5 * MINUTE;
    await store.insertReplies(caughtUpRows(later), 'alerts:caught-up');
    const rows = await ruleRows(store, rule('pipeline-stalled'), { ...ctx, now: `fromUnixTimestamp64Milli(${later})` });
    expect(rows.map((r) => [r.labels, Math.round(r.value * 100) / 100])).toEqual([[{ check: 'stored_lag' }, 0.17]]);
    expect((await evaluateRules(store, [rule('pipeline-stalled')], { ...ctx, now: `fromUnixTimestamp64Milli(${later})` })).firing.get('pipeline-stalled')).toEqual([]);
  });
});

describe('the Grafana form of each rule', () => {
  it('returns the labels and the value of the rule, nothing else, as the engine answers it', async () => {
    const { alertProvisioning } = await import('../../dashboards/alert-provisioning.js');
    const config = {
      webhookUrl: undefined,
      format: 'slack' as const,
      secret: undefined,
      intervalSeconds: 60,
      creditsDays: 7,
      creditsFloor: { agents: { 'runs-out': 1_000 }, other: 600 },
      stallMinutes: 5,
      silentAgentMinutes: 60,
    };
    for (const provisioned of alertProvisioning(config).groups[0]!.rules) {
      const r = rule(provisioned.uid.replace(/^aksita-/, ''));
      const sql = provisioned.data[0]!.model.rawSql!.split('now64(3)').join(NOW_SQL);
      const out = (await store.query(sql, { format: 'JSONEachRow' }))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const expected = (await ruleRows(store, r, ctx)).map((i) => ({ ...i.labels, value: i.value }));
      const sorted = (rows: Record<string, unknown>[]) => rows.map((x) => JSON.stringify(x)).sort();
      expect(sorted(out), r.id).toEqual(sorted(expected));
    }
  });
});
