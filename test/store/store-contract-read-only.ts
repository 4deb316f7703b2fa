// Part of the store contract: the read-only guard lets reads through and refuses every write,
// setting change, file access and malformed query, leaving the data as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ContractRun } from './store-contract-run.js';

export function readOnlyContract({ queue, store, row, token, countOf }: ContractRun): void {
  describe('read-only queries', () => {
    let before: number;
    // This run's rows only: on a shared server other writers may be busy.
    const total = () => countOf('1');
    beforeAll(async () => {
      await store().insertReplies([row({ message_id: 'ro-1' })], token('ro'));
      before = await total();
    });

    it.each([
      [`SELECT count() FROM aksita.human_agent_replies WHERE queue_name = '${queue}' AND message_id = 'ro-1'`, '1'],
      [`select count() from aksita.human_agent_replies where queue_name = '${queue}' and message_id = 'ro-1' format CSV`, '1'],
      ['SELECT 1 UNION ALL SELECT 2', '1\n2'],
      ['EXISTS TABLE aksita.human_agent_replies', '1'],
    ])('%s is allowed', async (sql, expected) => {
      // Sorted: a server may run the branches of a UNION ALL in parallel, in either order.
      const lines = (await store().readOnlyQuery(sql, 'TSV')).toString().trim().split('\n').sort();
      expect(lines.join('\n')).toBe(expected);
    });

    it("a query that fails part-way leaves nothing behind in the next caller's result", async () => {
      // Fails after the JSON header is written (NaN cannot become an Int64 past row 5).
      await expect(store().readOnlyQuery('SELECT toInt64(round(if(number > 5, nan, 1.0))) AS x FROM numbers(10)', 'JSON')).rejects.toMatchObject({ code: 'query_invalid' });
      expect((await store().readOnlyQuery('SELECT 42 AS y', 'TSV')).toString()).toBe('42\n');
      expect((await store().query('SELECT 43 AS z', { format: 'TSV' })).toString()).toBe('43\n');
    });

    it('SHOW TABLES FROM aksita is allowed and lists the tables', async () => {
      const tables = (await store().readOnlyQuery('SHOW TABLES FROM aksita', 'TSV')).toString().trim().split('\n');
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
      await expect(store().readOnlyQuery(sql, 'TSV')).rejects.toMatchObject({ code });
      expect(await total()).toBe(before);
    });

    it("an unknown output format is a query error in the engine's words, said once", async () => {
      const err = (await store()
        .readOnlyQuery('SELECT 1', 'NoSuchFormat')
        .catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe('query_invalid');
      expect(err.message).toMatch(/NoSuchFormat/);
      expect(err.message).not.toMatch(/DB::Exception/);
    });
  });
}
