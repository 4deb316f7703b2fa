// Dead-letter replay on the real engine: bodies valid under today's schema become replies once,
// however often replay runs; the rest stay, with their reasons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDeadLetters } from '../../consumer/replay-dead-letters.js';
import { listDeadLetters } from '../../store/dead-letters.js';
import { samplePayload } from '../helpers/sign.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';
import { deadLetterRow, scalar } from './rows.js';

let s: MigratedStore;
beforeAll(async () => {
  s = await openMigratedStore();
  // Two refused by an older schema but valid today (inserted directly, as an older consumer
  // stored them), one that is still invalid, and one that is not JSON.
  await s.store.insertDeadLetters(
    [
      deadLetterRow(JSON.stringify(samplePayload({ conversation_id: 'c1', message_id: 'r1' })), 'invalid_payload'),
      deadLetterRow(JSON.stringify(samplePayload({ conversation_id: 'c1', message_id: 'r2' })), 'invalid_payload'),
      deadLetterRow(JSON.stringify(samplePayload({ conversation_id: 'c2', message_id: 'bad', credits: 'many' })), 'invalid_payload'),
      deadLetterRow('{"conversation_id": ', 'malformed_json'),
    ],
    'replay-1',
  );
});
afterAll(() => s.close());

describe('dead letters', () => {
  it('lists each with time, agent, reason and the ids its body has', async () => {
    const list = await listDeadLetters(s.store, {});
    expect(list.map((d) => [d.agent, d.reason_code, d.conversation_id, d.message_id])).toEqual([
      ['sales', 'invalid_payload', 'c1', 'r1'],
      ['sales', 'invalid_payload', 'c1', 'r2'],
      ['sales', 'invalid_payload', 'c2', 'bad'],
      ['sales', 'malformed_json', '', ''],
    ]);
    expect(list[0]!.received_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(await listDeadLetters(s.store, { reason: 'malformed_json' })).toHaveLength(1);
    expect(await listDeadLetters(s.store, { since: '2999-01-01' })).toHaveLength(0);
  });

  it('a dry run changes nothing', async () => {
    const result = await replayDeadLetters(s.store, { dryRun: true });
    expect(result).toMatchObject({ replayed: 2, alreadyStored: 0, dryRun: true });
    expect(await scalar(s.store, 'SELECT count() FROM aksita.human_agent_replies')).toBe('0');
    expect(await scalar(s.store, 'SELECT count() FROM aksita.dead_letters')).toBe('4');
  });

  it('replays what passes today exactly once, run twice, and reports what still fails', async () => {
    const first = await replayDeadLetters(s.store);
    expect(first.replayed).toBe(2);
    expect(first.stillFailing).toEqual({
      invalid_payload: { count: 1, example: expect.stringContaining('credits') },
      malformed_json: { count: 1, example: expect.any(String) },
    });
    const second = await replayDeadLetters(s.store);
    expect(second).toMatchObject({ replayed: 0, alreadyStored: 0 });
    expect(await scalar(s.store, 'SELECT groupArray(message_id) FROM (SELECT message_id FROM aksita.human_agent_replies ORDER BY message_id)')).toBe("['r1','r2']");
    expect(await scalar(s.store, 'SELECT count() FROM aksita.dead_letters')).toBe('2');
    // The replayed replies reached the rollup through its materialized view.
    expect(await scalar(s.store, 'SELECT uniqExactMerge(conversations) FROM aksita.replies_5m')).toBe('1');
  });

  it('a replay cut short after its insert stores nothing twice when run again', async () => {
    const body = JSON.stringify(samplePayload({ conversation_id: 'c3', message_id: 'r3' }));
    // As if a replay had inserted the reply and died before deleting its dead letter.
    await s.store.insertDeadLetters([deadLetterRow(body)], 'replay-2');
    await replayDeadLetters(s.store, { dryRun: true });
    await s.store.query("INSERT INTO aksita.human_agent_replies (agent, message_id, conversation_id, event_time, raw_body) VALUES ('sales', 'r3', 'c3', now64(3), '')", { format: 'TSVRaw' });
    const result = await replayDeadLetters(s.store);
    expect(result).toMatchObject({ replayed: 1, alreadyStored: 1 });
    expect(await scalar(s.store, "SELECT count() FROM aksita.human_agent_replies WHERE message_id = 'r3'")).toBe('1');
    expect(await scalar(s.store, "SELECT count() FROM aksita.dead_letters WHERE JSONExtractString(raw_body, 'message_id') = 'r3'")).toBe('0');
  });
});
