// Part of the store contract: insert tokens and replays, the stored-key check, times, dead
// letters byte-exact, text through the insert format, and a refused insert.
import { expect, it } from 'vitest';
import { replyKey, type DeadLetterRow, type ReplyRow } from '../../store/store.js';
import type { ContractRun } from './store-contract-run.js';

export function insertContract({ run, queue, store, row, token, rowsOf, countOf }: ContractRun): void {
  it('a retried insert with the same token adds nothing', async () => {
    const rows = [row({ message_id: 'tok-1' }), row({ message_id: 'tok-2' })];
    await store().insertReplies(rows, token('1-2'));
    await store().insertReplies(rows, token('1-2'));
    expect(await countOf("message_id LIKE 'tok-%'")).toBe(2);
  });

  it("the same rows with a new token are inserted again (the key check is the consumer's job)", async () => {
    const rows = [row({ message_id: 'tok2-1' })];
    await store().insertReplies(rows, token('10-10'));
    await store().insertReplies(rows, token('11-11'));
    expect(await countOf("message_id = 'tok2-1'")).toBe(2);
  });

  it('the replacing key collapses such duplicates on merge (last line of defence)', async () => {
    await store().query('OPTIMIZE TABLE aksita.human_agent_replies PARTITION 202601 FINAL', { format: 'TSV' });
    expect(await countOf("message_id = 'tok2-1'")).toBe(1);
  });

  it('storedReplyKeys finds exactly the stored (agent, message_id) pairs', async () => {
    const [sales, support] = [`sales-${run}`, `support-${run}`];
    await store().insertReplies([row({ agent: sales, message_id: 'k1' }), row({ agent: support, message_id: 'k2' })], token('20-21'));
    const found = await store().storedReplyKeys([
      { agent: sales, message_id: 'k1' },
      { agent: sales, message_id: 'k2' }, // k2 exists, but for another agent
      { agent: support, message_id: 'k2' },
      { agent: support, message_id: "it's-new" },
    ]);
    expect([...found].sort()).toEqual([replyKey({ agent: sales, message_id: 'k1' }), replyKey({ agent: support, message_id: 'k2' })].sort());
    expect(await store().storedReplyKeys([])).toEqual(new Set());
  });

  it('storedReplyKeys matches keys exactly, whatever characters they hold', async () => {
    const agent = `chars-${run}`;
    const ids = ["quote'", 'back\\slash', "\\'", 'new\nline', 'nul\u0000', '["json",{"k":1}]', 'naïve 😀', 'tab\tcr\r'];
    await store().insertReplies(
      ids.map((message_id) => row({ agent, message_id })),
      token('chars'),
    );
    // Each stored key is found, and near misses (one character off) are not.
    const asked = [...ids, ...ids.map((id) => `${id}x`), "quote\\'", 'back\\\\slash'];
    const found = await store().storedReplyKeys(asked.map((message_id) => ({ agent, message_id })));
    expect([...found].sort()).toEqual(ids.map((message_id) => replyKey({ agent, message_id })).sort());
  });

  it('storedReplyKeys takes a batch-sized list of keys', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => ({ agent: `bulk-${run}`, message_id: `a-fairly-long-message-id-${i}` }));
    await store().insertReplies([row({ agent: `bulk-${run}`, message_id: keys[19_999]!.message_id })], token('bulk'));
    expect([...(await store().storedReplyKeys(keys))]).toEqual([replyKey(keys[19_999]!)]);
  });

  it('times keep their milliseconds, and derived columns are computed', async () => {
    await store().insertReplies([row({ message_id: 'ms-1', event_time: '2026-03-04 05:06:07.089', received_at: '2026-03-04 05:06:08.999' })], token('30-30'));
    const [r] = await rowsOf(
      `SELECT toUnixTimestamp64Milli(event_time) AS e, toUnixTimestamp64Milli(received_at) AS r, response_parts, response_chars,
              dateDiff('millisecond', received_at, stored_at) >= 0 AS stored_after
       FROM aksita.human_agent_replies WHERE queue_name = {q:String} AND message_id = 'ms-1'`,
      { q: queue },
    );
    expect(Number(r!.e)).toBe(Date.UTC(2026, 2, 4, 5, 6, 7, 89));
    expect(Number(r!.r)).toBe(Date.UTC(2026, 2, 4, 5, 6, 8, 999));
    expect(r!.response_parts).toBe(2);
    expect(r!.response_chars).toBe('hello'.length + 'wörld'.length); // characters, not bytes
    expect(r!.stored_after).toBe(1);
  });

  it('dead letters keep non-UTF-8 bodies byte-exact, and a retried insert adds nothing', async () => {
    const raw = Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]);
    const dl: DeadLetterRow = {
      agent: 'default',
      received_at: '2026-01-22 08:18:19.456',
      reason_code: 'invalid_utf8',
      reason: 'Body is not valid UTF-8.',
      signature_status: 'valid',
      raw_body_base64: raw.toString('base64'),
      queue_name: queue,
      queue_partition: 0,
      queue_offset: 99,
    };
    await store().insertDeadLetters([dl], token('99-99:dl'));
    await store().insertDeadLetters([dl], token('99-99:dl'));
    const out = await store().query('SELECT raw_body FROM aksita.dead_letters WHERE queue_name = {q:String} AND queue_offset = 99 FORMAT RowBinary', {
      format: 'RowBinary',
      params: { q: queue },
    });
    // RowBinary String: a one-byte length (varint) followed by the bytes; one row only.
    expect(out[0]).toBe(raw.length);
    expect(out.subarray(1).equals(raw)).toBe(true);
    expect([...(await store().storedDeadLetterOffsets(queue, 0, [98, 99, 100]))]).toEqual([99]);
    expect([...(await store().storedDeadLetterOffsets(queue, 1, [99]))]).toEqual([]);
  });

  it('text and numbers survive the insert format exactly, whatever characters they hold', async () => {
    // Every character the TabSeparated format escapes, quotes and brackets inside array items,
    // JSON-looking text, a literal backslash-n (two characters), and non-ASCII text.
    const nasty = `tab\there\nnew line\r\nCRLF back\\slash lit\\n quote' "dq" nul\u0000 [a,'b'] {"k":"v"} naïve 😀`;
    const body = JSON.stringify({ message_id: 'esc-1', response: [nasty] }, null, '\t');
    await store().insertReplies(
      [row({ message_id: 'esc-1', conversation_id: nasty, response: [nasty, '', "'", '\\', ']', "',"], additional_context: nasty, raw_body: body, credits: 1e-7, remaining_credits: -1234567.0625 })],
      token('esc'),
    );
    const [r] = await rowsOf(
      `SELECT conversation_id, response, additional_context, raw_body, credits, remaining_credits
       FROM aksita.human_agent_replies WHERE queue_name = {q:String} AND message_id = 'esc-1'`,
      { q: queue },
    );
    expect(r).toEqual({
      conversation_id: nasty,
      response: [nasty, '', "'", '\\', ']', "',"],
      additional_context: nasty,
      raw_body: body,
      credits: 1e-7,
      remaining_credits: -1234567.0625,
    });
  });

  it('an insert the store refuses is a retriable store_unavailable', async () => {
    const bad = { ...row(), no_such_column: 1 } as ReplyRow;
    await expect(store().insertReplies([bad], token('bad'))).rejects.toMatchObject({ code: 'store_unavailable', retriable: true });
  });
}
