// RETENTION_DAYS and RAW_BODY_DAYS become TTL on the real engine: old rows go at the TTL merge,
// raw bodies are cleared while analytic columns stay, and a changed setting is applied once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runner } from '../../store/migrate.js';
import { applyRetention } from '../../store/retention.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';
import { deadLetterRow, replyRow, scalar } from './rows.js';

let s: MigratedStore;
let run: Runner;
beforeEach(async () => {
  s = await openMigratedStore();
  run = async (sql) => (await s.store.query(sql, { format: 'TSVRaw' })).toString('utf8');
});
afterEach(() => s.close());

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('retention', () => {
  it('keeps forever by default: nothing is altered and nothing recorded', async () => {
    expect(await applyRetention(run, { days: undefined, rawBodyDays: undefined })).toEqual([]);
    expect(await scalar(s.store, "SELECT create_table_query FROM system.tables WHERE database = 'aksita' AND name = 'human_agent_replies'")).not.toMatch(/\bTTL\b/);
  });

  it('drops replies, dead letters and rollup rows older than RETENTION_DAYS at the TTL merge, and clears old raw bodies only', async () => {
    expect(await applyRetention(run, { days: 30, rawBodyDays: 7 })).toEqual([
      { setting: 'retention_days', from: undefined, to: 30 },
      { setting: 'raw_body_days', from: undefined, to: 7 },
    ]);
    await s.store.insertReplies(
      [replyRow({ message_id: 'old', timestamp: daysAgo(40) }), replyRow({ message_id: 'mid', timestamp: daysAgo(10) }), replyRow({ message_id: 'new', timestamp: daysAgo(1) })],
      't1',
    );
    const old = deadLetterRow('{"conversation_id":"x"}');
    old.received_at = `${daysAgo(40).replace('T', ' ').replace('Z', '')}.000`;
    await s.store.insertDeadLetters([old, deadLetterRow('{}')], 't2');
    for (const table of ['human_agent_replies', 'dead_letters', 'replies_5m']) await run(`OPTIMIZE TABLE aksita.${table} FINAL`);
    expect(await scalar(s.store, 'SELECT groupArray(message_id) FROM (SELECT message_id FROM aksita.human_agent_replies ORDER BY event_time)')).toBe("['mid','new']");
    // The analytic columns of the 10-day-old reply stay; its raw body is gone.
    expect(await scalar(s.store, "SELECT remaining_credits, raw_body = '' FROM aksita.human_agent_replies WHERE message_id = 'mid'")).toBe('1234\t1');
    expect(await scalar(s.store, "SELECT raw_body != '' FROM aksita.human_agent_replies WHERE message_id = 'new'")).toBe('1');
    expect(await scalar(s.store, 'SELECT count() FROM aksita.dead_letters')).toBe('1');
    expect(await scalar(s.store, 'SELECT count() FROM aksita.replies_5m WHERE bucket < now() - INTERVAL 30 DAY')).toBe('0');
    expect(await scalar(s.store, 'SELECT count() FROM aksita.replies_5m')).toBe('2');
  });

  it('is applied once per change and removed when unset again', async () => {
    await applyRetention(run, { days: 30, rawBodyDays: undefined });
    expect(await applyRetention(run, { days: 30, rawBodyDays: undefined })).toEqual([]);
    expect(await applyRetention(run, { days: 90, rawBodyDays: 5 })).toHaveLength(2);
    expect(await scalar(s.store, "SELECT create_table_query FROM system.tables WHERE database = 'aksita' AND name = 'dead_letters'")).toMatch(/TTL toDateTime\(received_at\) \+ toIntervalDay\(90\)/);
    expect(await applyRetention(run, { days: undefined, rawBodyDays: undefined })).toHaveLength(2);
    for (const name of ['human_agent_replies', 'dead_letters', 'replies_5m']) {
      expect(await scalar(s.store, `SELECT create_table_query FROM system.tables WHERE database = 'aksita' AND name = '${name}'`)).not.toMatch(/\bTTL\b/);
    }
    expect(await scalar(s.store, "SELECT value FROM aksita.applied_settings FINAL WHERE name = 'retention_days'")).toBe('');
  });
});
