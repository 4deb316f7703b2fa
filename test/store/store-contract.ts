// The store contract: what the consumer, the read API, reports and dashboards rely on, written
// once and run against every Store implementation (chdb-store.test.ts always,
// clickhouse-server-store.test.ts when CLICKHOUSE_URL names a server).
// A server is shared and keeps its data between runs, so every row, token and queue name here
// carries this run's id, and counts are taken over this run's rows only.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailCountQuery, detailQuery, summaryQuery } from '../../reports/report-query.js';
import type { ReportRequest } from '../../reports/report-params.js';
import { migrations } from '../../store/migrations.js';
import { replyKey, type DeadLetterRow, type ReplyRow, type Store } from '../../store/store.js';
import { queryEscapes } from './query-escapes.js';

export interface ContractTarget {
  kind: Store['kind'];
  open(): Promise<Store>;
  /** Releases what open() created (a temporary directory). */
  cleanup?(): Promise<void>;
  /** The store starts empty (chDB in a new directory), so the first migrate() applies everything. */
  fresh: boolean;
  /** Why this target cannot run here; the suite is then registered as skipped, under that reason. */
  skip?: string;
}

export function storeContract(label: string, target: ContractTarget): void {
  const run = randomUUID().slice(0, 8);
  const queue = `contract-${run}`;
  let seq = 0;
  const row = (overrides: Partial<ReplyRow> = {}): ReplyRow => {
    seq += 1;
    return {
      agent: `default-${run}`,
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
      queue_name: queue,
      queue_partition: 0,
      queue_offset: seq,
      ...overrides,
    };
  };
  const token = (name: string) => `${queue}:${name}`;

  (target.skip ? describe.skip : describe)(`${label}: store contract${target.skip ? ` (SKIPPED: ${target.skip})` : ''}`, () => {
    let store: Store;
    const rowsOf = async (sql: string, params?: Record<string, unknown>) =>
      (await store.query(sql, { format: 'JSONEachRow', params }))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const countOf = async (where: string) => Number((await rowsOf(`SELECT count() AS n FROM aksita.human_agent_replies WHERE queue_name = {q:String} AND ${where}`, { q: queue }))[0]!.n);

    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target.cleanup?.();
    });

    it(`is the ${target.kind} store and answers ping`, async () => {
      expect(store.kind).toBe(target.kind);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('migrations apply once and are recorded; running them again applies nothing', async () => {
      const all = migrations.map((m) => m.version);
      const first = await store.migrate();
      if (target.fresh) expect(first).toEqual(all);
      else expect(all).toEqual(expect.arrayContaining(first));
      expect(await store.migrate()).toEqual([]);
      const recorded = await rowsOf('SELECT version FROM aksita.schema_migrations FINAL ORDER BY version');
      expect(recorded.map((r) => r.version)).toEqual(expect.arrayContaining(all));
    });

    it('a retried insert with the same token adds nothing', async () => {
      const rows = [row({ message_id: 'tok-1' }), row({ message_id: 'tok-2' })];
      await store.insertReplies(rows, token('1-2'));
      await store.insertReplies(rows, token('1-2'));
      expect(await countOf("message_id LIKE 'tok-%'")).toBe(2);
    });

    it("the same rows with a new token are inserted again (the key check is the consumer's job)", async () => {
      const rows = [row({ message_id: 'tok2-1' })];
      await store.insertReplies(rows, token('10-10'));
      await store.insertReplies(rows, token('11-11'));
      expect(await countOf("message_id = 'tok2-1'")).toBe(2);
    });

    it('the replacing key collapses such duplicates on merge (last line of defence)', async () => {
      await store.query('OPTIMIZE TABLE aksita.human_agent_replies PARTITION 202601 FINAL', { format: 'TSV' });
      expect(await countOf("message_id = 'tok2-1'")).toBe(1);
    });

    it('storedReplyKeys finds exactly the stored (agent, message_id) pairs', async () => {
      const [sales, support] = [`sales-${run}`, `support-${run}`];
      await store.insertReplies([row({ agent: sales, message_id: 'k1' }), row({ agent: support, message_id: 'k2' })], token('20-21'));
      const found = await store.storedReplyKeys([
        { agent: sales, message_id: 'k1' },
        { agent: sales, message_id: 'k2' }, // k2 exists, but for another agent
        { agent: support, message_id: 'k2' },
        { agent: support, message_id: "it's-new" },
      ]);
      expect([...found].sort()).toEqual([replyKey({ agent: sales, message_id: 'k1' }), replyKey({ agent: support, message_id: 'k2' })].sort());
      expect(await store.storedReplyKeys([])).toEqual(new Set());
    });

    it('storedReplyKeys matches keys exactly, whatever characters they hold', async () => {
      const agent = `chars-${run}`;
      const ids = ["quote'", 'back\\slash', "\\'", 'new\nline', 'nul\u0000', '["json",{"k":1}]', 'naïve 😀', 'tab\tcr\r'];
      await store.insertReplies(
        ids.map((message_id) => row({ agent, message_id })),
        token('chars'),
      );
      // Each stored key is found, and near misses (one character off) are not.
      const asked = [...ids, ...ids.map((id) => `${id}x`), "quote\\'", 'back\\\\slash'];
      const found = await store.storedReplyKeys(asked.map((message_id) => ({ agent, message_id })));
      expect([...found].sort()).toEqual(ids.map((message_id) => replyKey({ agent, message_id })).sort());
    });

    it('storedReplyKeys takes a batch-sized list of keys', async () => {
      const keys = Array.from({ length: 20_000 }, (_, i) => ({ agent: `bulk-${run}`, message_id: `a-fairly-long-message-id-${i}` }));
      await store.insertReplies([row({ agent: `bulk-${run}`, message_id: keys[19_999]!.message_id })], token('bulk'));
      expect([...(await store.storedReplyKeys(keys))]).toEqual([replyKey(keys[19_999]!)]);
    });

    it('times keep their milliseconds, and derived columns are computed', async () => {
      await store.insertReplies([row({ message_id: 'ms-1', event_time: '2026-03-04 05:06:07.089', received_at: '2026-03-04 05:06:08.999' })], token('30-30'));
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
      await store.insertDeadLetters([dl], token('99-99:dl'));
      await store.insertDeadLetters([dl], token('99-99:dl'));
      const out = await store.query('SELECT raw_body FROM aksita.dead_letters WHERE queue_name = {q:String} AND queue_offset = 99 FORMAT RowBinary', {
        format: 'RowBinary',
        params: { q: queue },
      });
      // RowBinary String: a one-byte length (varint) followed by the bytes; one row only.
      expect(out[0]).toBe(raw.length);
      expect(out.subarray(1).equals(raw)).toBe(true);
      expect([...(await store.storedDeadLetterOffsets(queue, 0, [98, 99, 100]))]).toEqual([99]);
      expect([...(await store.storedDeadLetterOffsets(queue, 1, [99]))]).toEqual([]);
    });

    it('text and numbers survive the insert format exactly, whatever characters they hold', async () => {
      // Every character the TabSeparated format escapes, quotes and brackets inside array items,
      // JSON-looking text, a literal backslash-n (two characters), and non-ASCII text.
      const nasty = `tab\there\nnew line\r\nCRLF back\\slash lit\\n quote' "dq" nul\u0000 [a,'b'] {"k":"v"} naïve 😀`;
      const body = JSON.stringify({ message_id: 'esc-1', response: [nasty] }, null, '\t');
      await store.insertReplies(
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
      await expect(store.insertReplies([bad], token('bad'))).rejects.toMatchObject({ code: 'store_unavailable', retriable: true });
    });

    it('queryStream yields the same bytes as query, in the requested format', async () => {
      const sql = 'SELECT message_id, agent FROM aksita.human_agent_replies WHERE queue_name = {q:String} ORDER BY message_id, agent';
      const whole = await store.query(sql, { format: 'CSV', params: { q: queue } });
      const chunks: Uint8Array[] = [];
      for await (const chunk of store.queryStream(sql, { format: 'CSV', params: { q: queue } })) chunks.push(chunk);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(whole.toString('utf8'));
      expect(whole.toString('utf8')).toContain(`"ms-1","default-${run}"`);
    });

    it('the report queries (views of migration 2) give the same figures', async () => {
      const agent = `report-${run}`;
      await store.insertReplies(
        [
          row({ agent, message_id: 'r1', conversation_id: 'a', event_time: '2026-05-01 10:00:00.000', received_at: '2026-05-01 10:00:01.000', remaining_credits: 50 }),
          row({ agent, message_id: 'r2', conversation_id: 'a', event_time: '2026-05-01 10:00:10.000', received_at: '2026-05-01 10:00:13.000', remaining_credits: 40 }),
          row({ agent, message_id: 'r3', conversation_id: 'b', event_time: '2026-05-01 11:00:00.000', received_at: '2026-05-01 11:00:02.000', remaining_credits: 30 }),
        ],
        token('report'),
      );
      const req: ReportRequest = {
        kind: 'summary',
        format: 'json',
        fromMs: Date.UTC(2026, 4, 1),
        toMs: Date.UTC(2026, 4, 2),
        tz: 'UTC',
        agents: [agent],
        given: { from: '2026-05-01', to: '2026-05-02' },
      };
      const summary = summaryQuery(req);
      const [day] = (await store.query(summary.sql, { format: 'JSONEachRow', params: summary.params }))
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(day).toMatchObject({ day: '2026-05-01', agent, replies: 3, conversations: 2, delivery_latency_p50_ms: 2000, remaining_credits_start: 50, remaining_credits_end: 30 });
      // Credits used: the balance's drops between the agent's consecutive replies (50 -> 40 -> 30).
      expect(day).toMatchObject({ credits_used: 20, credits_charged: 0 });
      const count = detailCountQuery(req);
      expect((await store.query(count.sql, { format: 'TSV', params: count.params })).toString().trim()).toBe('3');
      const detail = detailQuery(req);
      let text = '';
      for await (const chunk of store.queryStream(detail.sql, { format: 'JSONEachRow', params: detail.params })) text += Buffer.from(chunk).toString('utf8');
      expect(
        text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).message_id)
          .sort(),
      ).toEqual(['r1', 'r2', 'r3']);
    });

    queryEscapes(() => store);

    describe('read-only queries', () => {
      let before: number;
      // This run's rows only: on a shared server other writers may be busy.
      const total = () => countOf('1');
      beforeAll(async () => {
        await store.insertReplies([row({ message_id: 'ro-1' })], token('ro'));
        before = await total();
      });

      it.each([
        [`SELECT count() FROM aksita.human_agent_replies WHERE queue_name = '${queue}' AND message_id = 'ro-1'`, '1'],
        [`select count() from aksita.human_agent_replies where queue_name = '${queue}' and message_id = 'ro-1' format CSV`, '1'],
        ['SELECT 1 UNION ALL SELECT 2', '1\n2'],
        ['EXISTS TABLE aksita.human_agent_replies', '1'],
      ])('%s is allowed', async (sql, expected) => {
        // Sorted: a server may run the branches of a UNION ALL in parallel, in either order.
        const lines = (await store.readOnlyQuery(sql, 'TSV')).toString().trim().split('\n').sort();
        expect(lines.join('\n')).toBe(expected);
      });

      it("a query that fails part-way leaves nothing behind in the next caller's result", async () => {
        // Fails after the JSON header is written (NaN cannot become an Int64 past row 5).
        await expect(store.readOnlyQuery('SELECT toInt64(round(if(number > 5, nan, 1.0))) AS x FROM numbers(10)', 'JSON')).rejects.toMatchObject({ code: 'query_invalid' });
        expect((await store.readOnlyQuery('SELECT 42 AS y', 'TSV')).toString()).toBe('42\n');
        expect((await store.query('SELECT 43 AS z', { format: 'TSV' })).toString()).toBe('43\n');
      });

      it('SHOW TABLES FROM aksita is allowed and lists the tables', async () => {
        const tables = (await store.readOnlyQuery('SHOW TABLES FROM aksita', 'TSV')).toString().trim().split('\n');
        expect(tables).toEqual(expect.arrayContaining(['dead_letters', 'human_agent_replies', 'schema_migrations']));
      });

      it.each([
        [`INSERT INTO aksita.human_agent_replies (agent, queue_name) VALUES ('x', '${queue}')`, 'query_refused'],
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
        // Under the engine's max_query_size (256 KiB) as written, over it once formatted (", "
        // between the values): the engine's refusal, not an internal error.
        [`SELECT 1 WHERE 1 NOT IN (${Array.from({ length: 42_000 }, (_, i) => i + 10_000).join(',')})`, 'query_invalid'],
      ])('%s is refused (%s)', async (sql, code) => {
        await expect(store.readOnlyQuery(sql, 'TSV')).rejects.toMatchObject({ code });
        expect(await total()).toBe(before);
      });

      it("an unknown output format is a query error in the engine's words, said once", async () => {
        const err = (await store.readOnlyQuery('SELECT 1', 'NoSuchFormat').catch((e: unknown) => e)) as { code: string; message: string };
        expect(err.code).toBe('query_invalid');
        expect(err.message).toMatch(/NoSuchFormat/);
        expect(err.message).not.toMatch(/DB::Exception/);
      });
    });
  });
}
