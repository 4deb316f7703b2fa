// The store contract on real chDB: migrations, insert tokens, key checks, millisecond
// precision, dead letters, and the read-only guard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../../store/chdb-store.js';
import { migrations } from '../../store/migrations.js';
import { replyKey, type DeadLetterRow, type ReplyRow } from '../../store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

let seq = 0;
function row(overrides: Partial<ReplyRow> = {}): ReplyRow {
  seq += 1;
  return {
    agent: 'default',
    message_id: `m${seq}`,
    conversation_id: 'c1',
    response: ['hello', 'wörld'],
    credits: 0,
    remaining_credits: 100,
    additional_context: '',
    source: 'human_agent',
    event_time: '2026-01-22 08:18:18.123',
    event_utc_offset_minutes: 420,
    received_at: '2026-01-22 08:18:19.456',
    signature_status: 'valid',
    raw_body: '{}',
    queue_name: 'test',
    queue_partition: 0,
    queue_offset: seq,
    ...overrides,
  };
}

const rowsOf = async (store: ChdbStore, sql: string) =>
  (await store.query(sql, { format: 'JSONEachRow' }))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('chDB store', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: ChdbStore;

  beforeAll(async () => {
    dir = await tempDir();
    store = await ChdbStore.open(dir.path);
  });
  afterAll(async () => {
    await store.close();
    await dir.remove();
  });

  it('migrations apply once and are recorded; running them again applies nothing', async () => {
    expect(await store.migrate()).toEqual(migrations.map((m) => m.version));
    expect(await store.migrate()).toEqual([]);
    const recorded = await rowsOf(store, 'SELECT version FROM aksita.schema_migrations FINAL ORDER BY version');
    expect(recorded.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  it('a retried insert with the same token adds nothing', async () => {
    const rows = [row({ message_id: 'tok-1' }), row({ message_id: 'tok-2' })];
    await store.insertReplies(rows, 'test:0:1-2');
    await store.insertReplies(rows, 'test:0:1-2');
    const [count] = await rowsOf(store, "SELECT count() AS n FROM aksita.human_agent_replies WHERE message_id LIKE 'tok-%'");
    expect(Number(count!.n)).toBe(2);
  });

  it('the same rows with a new token are inserted again (the key check is the consumer\'s job)', async () => {
    const rows = [row({ message_id: 'tok2-1' })];
    await store.insertReplies(rows, 'test:0:10-10');
    await store.insertReplies(rows, 'test:0:11-11');
    const [count] = await rowsOf(store, "SELECT count() AS n FROM aksita.human_agent_replies WHERE message_id = 'tok2-1'");
    expect(Number(count!.n)).toBe(2);
  });

  it('the replacing key collapses such duplicates on merge (last line of defence)', async () => {
    await store.query('OPTIMIZE TABLE aksita.human_agent_replies FINAL', { format: 'TSV' });
    const [count] = await rowsOf(store, "SELECT count() AS n FROM aksita.human_agent_replies WHERE message_id = 'tok2-1'");
    expect(Number(count!.n)).toBe(1);
  });

  it('storedReplyKeys finds exactly the stored (agent, message_id) pairs', async () => {
    await store.insertReplies([row({ agent: 'sales', message_id: 'k1' }), row({ agent: 'support', message_id: 'k2' })], 'test:0:20-21');
    const found = await store.storedReplyKeys([
      { agent: 'sales', message_id: 'k1' },
      { agent: 'sales', message_id: 'k2' }, // k2 exists, but for another agent
      { agent: 'support', message_id: 'k2' },
      { agent: 'support', message_id: "it's-new" },
    ]);
    expect([...found].sort()).toEqual([replyKey({ agent: 'sales', message_id: 'k1' }), replyKey({ agent: 'support', message_id: 'k2' })].sort());
  });

  it('times keep their milliseconds, and derived columns are computed', async () => {
    await store.insertReplies([row({ message_id: 'ms-1', event_time: '2026-03-04 05:06:07.089', received_at: '2026-03-04 05:06:08.999' })], 'test:0:30-30');
    const [r] = await rowsOf(
      store,
      "SELECT toUnixTimestamp64Milli(event_time) AS e, toUnixTimestamp64Milli(received_at) AS r, response_parts, response_chars, dateDiff('millisecond', received_at, stored_at) >= 0 AS stored_after FROM aksita.human_agent_replies WHERE message_id = 'ms-1'",
    );
    expect(Number(r!.e)).toBe(Date.UTC(2026, 2, 4, 5, 6, 7, 89));
    expect(Number(r!.r)).toBe(Date.UTC(2026, 2, 4, 5, 6, 8, 999));
    expect(r!.response_parts).toBe(2);
    expect(r!.response_chars).toBe('hello'.length + 'wörld'.length); // characters, not bytes
    expect(r!.stored_after).toBe(1);
  });

  it('dead letters keep non-UTF-8 bodies byte-exact', async () => {
    const raw = Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]);
    const dl: DeadLetterRow = {
      agent: 'default',
      received_at: '2026-01-22 08:18:19.456',
      reason_code: 'invalid_utf8',
      reason: 'Body is not valid UTF-8.',
      signature_status: 'valid',
      raw_body_base64: raw.toString('base64'),
      queue_name: 'test',
      queue_partition: 0,
      queue_offset: 99,
    };
    await store.insertDeadLetters([dl], 'test:0:99-99:dl');
    const out = await store.query('SELECT raw_body FROM aksita.dead_letters WHERE queue_offset = 99 FORMAT RowBinary', { format: 'RowBinary' });
    // RowBinary String: a one-byte length (varint) followed by the bytes.
    expect(out.subarray(1).equals(raw)).toBe(true);
    expect([...(await store.storedDeadLetterOffsets('test', 0, [98, 99, 100]))]).toEqual([99]);
  });
});

describe('read-only queries', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: ChdbStore;

  beforeAll(async () => {
    dir = await tempDir();
    store = await ChdbStore.open(dir.path);
    await store.migrate();
    await store.insertReplies([row({ message_id: 'ro-1' })], 'ro:0:1-1');
  });
  afterAll(async () => {
    await store.close();
    await dir.remove();
  });

  const count = async () => Number((await store.query('SELECT count() FROM aksita.human_agent_replies', { format: 'TSV' })).toString().trim());

  it.each([
    ['SELECT count() FROM aksita.human_agent_replies', '1'],
    ['select count() from aksita.human_agent_replies format CSV', '1'],
    ['SELECT 1 UNION ALL SELECT 2', '1\n2'],
    ['SHOW TABLES FROM aksita', 'dead_letters\nhuman_agent_replies\nschema_migrations'],
    ['EXISTS TABLE aksita.human_agent_replies', '1'],
  ])('%s is allowed', async (sql, expected) => {
    expect((await store.readOnlyQuery(sql, 'TSV')).toString().trim()).toBe(expected);
  });

  it.each([
    ['INSERT INTO aksita.human_agent_replies (agent) VALUES (\'x\')', 'query_refused'],
    ['DROP TABLE aksita.human_agent_replies', 'query_refused'],
    ['TRUNCATE TABLE aksita.human_agent_replies', 'query_refused'],
    ['ALTER TABLE aksita.human_agent_replies DELETE WHERE 1', 'query_refused'],
    ['SET readonly = 0', 'query_refused'],
    ['SELECT 1 SETTINGS readonly = 0', 'query_refused'],
    ['SELECT * FROM (SELECT 1 SETTINGS readonly = 0)', 'query_refused'],
    ['SELECT 1; DROP TABLE aksita.human_agent_replies', 'query_invalid'],
    ["SELECT * FROM file('/etc/hostname', 'LineAsString')", 'query_refused'],
    ["SELECT 1 INTO OUTFILE '/tmp/aksita-readonly-escape.txt'", 'query_refused'],
    ["DESCRIBE TABLE file('/etc/hostname', 'LineAsString')", 'query_refused'],
    ['CREATE TABLE aksita.evil (a Int8) ENGINE = Memory', 'query_refused'],
    ['SELEC 1', 'query_invalid'],
    ['SELECT * FROM aksita.nope', 'query_invalid'],
  ])('%s is refused (%s)', async (sql, code) => {
    await expect(store.readOnlyQuery(sql, 'TSV')).rejects.toMatchObject({ code });
    expect(await count()).toBe(1);
  });
});
