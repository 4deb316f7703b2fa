// Erasure on the real engine: no trace of the conversation in any table (replies, dead letters,
// the rollup's conversation sets), every other row untouched, and the rollup agreeing with the table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erase } from '../../store/erase.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';
import { deadLetterRow, replyRow, scalar } from './rows.js';

let s: MigratedStore;
beforeAll(async () => {
  s = await openMigratedStore();
});
afterAll(() => s.close());

/** Every table of the schema as text, for a before/after comparison. */
async function snapshot(): Promise<Record<string, string>> {
  return {
    replies: await scalar(s.store, 'SELECT groupArray(message_id) FROM (SELECT message_id FROM aksita.human_agent_replies ORDER BY message_id)'),
    deadLetters: await scalar(s.store, 'SELECT groupArray(raw_body) FROM (SELECT raw_body FROM aksita.dead_letters ORDER BY queue_offset)'),
    rollup: await scalar(
      s.store,
      'SELECT groupArray((agent, bucket, c, f, l, h)) FROM (SELECT agent, bucket, uniqExactMerge(conversations) AS c, min(first) AS f, max(latest) AS l, max(highest) AS h FROM aksita.replies_5m GROUP BY agent, bucket ORDER BY agent, bucket)',
    ),
  };
}

/** The rollup as computed from the table now: what the materialized view would hold if it had seen only these rows. */
const recomputed = () =>
  scalar(
    s.store,
    `SELECT groupArray((agent, bucket, c, f, l, h)) FROM (SELECT agent, toStartOfInterval(toDateTime(event_time), INTERVAL 300 second) AS bucket, uniqExact(conversation_id) AS c,
       min((event_time, received_at, message_id, remaining_credits)) AS f, max((event_time, received_at, message_id, remaining_credits)) AS l, max(remaining_credits) AS h
     FROM aksita.human_agent_replies GROUP BY agent, bucket ORDER BY agent, bucket)`,
  );

describe('erase', () => {
  it('removes the conversation from replies, dead letters and rollup, and nothing else', async () => {
    const t = (min: number) => `2026-03-02T10:0${min}:00Z`;
    await s.store.insertReplies(
      [
        replyRow({ conversation_id: 'gone', message_id: 'g1', timestamp: t(0), remaining_credits: 900 }),
        replyRow({ conversation_id: 'gone', message_id: 'g2', timestamp: t(7), remaining_credits: 50 }),
        replyRow({ conversation_id: 'kept', message_id: 'k1', timestamp: t(1), remaining_credits: 800 }),
        replyRow({ conversation_id: 'kept', message_id: 'k2', timestamp: t(8), remaining_credits: 700 }),
        replyRow({ conversation_id: 'gone', message_id: 'o1', timestamp: t(2) }, 'support'),
      ],
      'erase-1',
    );
    await s.store.insertDeadLetters(
      [deadLetterRow('{"conversation_id":"gone","message_id":"d1","credits":"x"}'), deadLetterRow('{"conversation_id":"kept","message_id":"d2"}'), deadLetterRow('not json "gone"')],
      'erase-2',
    );
    const result = await erase(s.store, { conversationId: 'gone', agent: 'sales' });
    expect(result).toEqual({ human_agent_replies: 2, dead_letters: 2, replies_5m: 2 });
    const after = await snapshot();
    expect(after.replies).toBe("['k1','k2','o1']");
    expect(after.deadLetters).toBe('[\'{"conversation_id":"kept","message_id":"d2"}\']');
    // The rollup's balances and conversation counts are the remaining rows' own again.
    expect(after.rollup).toBe(await recomputed());
    expect(after.rollup).not.toContain("'g");
    // The other agent's reply of a conversation with the same id is not this agent's to erase.
    expect(await scalar(s.store, "SELECT count() FROM aksita.human_agent_replies WHERE conversation_id = 'gone'")).toBe('1');
  });

  it('erases one message by id and changes nothing when nothing matches', async () => {
    await s.store.insertReplies(
      [replyRow({ conversation_id: 'c9', message_id: 'm9', timestamp: '2026-03-03T00:00:00Z' }), replyRow({ conversation_id: 'c9', message_id: 'm10', timestamp: '2026-03-03T00:00:01Z' })],
      'erase-3',
    );
    const before = await snapshot();
    expect(await erase(s.store, { messageId: 'nope' })).toEqual({ human_agent_replies: 0, dead_letters: 0, replies_5m: 0 });
    expect(await snapshot()).toEqual(before);
    expect(await erase(s.store, { messageId: 'm9' })).toEqual({ human_agent_replies: 1, dead_letters: 0, replies_5m: 1 });
    expect(await scalar(s.store, "SELECT groupArray(message_id) FROM aksita.human_agent_replies WHERE conversation_id = 'c9'")).toBe("['m10']");
    expect((await snapshot()).rollup).toBe(await recomputed());
  });

  it('takes ids as bound values: quotes and SQL in an id are just characters', async () => {
    const id = "x' OR 1=1 --";
    await s.store.insertReplies([replyRow({ conversation_id: id, message_id: 'q1', timestamp: '2026-03-04T00:00:00Z' })], 'erase-4');
    const total = Number(await scalar(s.store, 'SELECT count() FROM aksita.human_agent_replies'));
    expect((await erase(s.store, { conversationId: id })).human_agent_replies).toBe(1);
    expect(Number(await scalar(s.store, 'SELECT count() FROM aksita.human_agent_replies'))).toBe(total - 1);
  });
});
