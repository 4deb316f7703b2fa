// Part of the store contract: a user query reaches no file, network, process or secret, in any
// form the engine offers. readonly = 1 alone let the scalar file() read /proc/self/environ.
// Each case is refused, or (where noted) runs without reaching anything.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../store/store.js';

const REFUSED: [string, string][] = [
  ['scalar file()', "SELECT file('/proc/self/environ')"],
  ['scalar file() in mixed case', "SELECT FiLe('/etc/passwd')"],
  ['file() under an alias', "SELECT file('/etc/passwd') AS harmless"],
  ['file() in a subquery', "SELECT * FROM (SELECT file('/etc/passwd') AS x)"],
  ['file() in a CTE', "WITH (SELECT file('/etc/passwd')) AS x SELECT x"],
  ['file() in a lambda', "SELECT arrayMap(p -> file(p), ['/etc/passwd'])"],
  ['file() inside view()', "SELECT * FROM view(SELECT file('/etc/passwd'))"],
  ['the file table function', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
  ['the file table function in mixed case', "SELECT * FROM FILE('/etc/passwd', 'LineAsString')"],
  ['a table function on the right of IN', "SELECT 1 WHERE 'x' IN file('/etc/passwd', 'LineAsString')"],
  ['url()', "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')"],
  ['s3()', "SELECT * FROM s3('http://127.0.0.1:9/b/k', 'LineAsString')"],
  ['remote()', "SELECT * FROM remote('127.0.0.1', system.one)"],
  ['cluster()', "SELECT * FROM cluster('default', system.one)"],
  ['remote() in a subquery', "SELECT * FROM (SELECT * FROM remote('127.0.0.1', system.one))"],
  ['executable()', "SELECT * FROM executable('id', 'LineAsString', 'x String')"],
  ['input()', "SELECT * FROM input('x String')"],
  ['mysql()', "SELECT * FROM mysql('127.0.0.1:9', 'd', 't', 'u', 'p')"],
  ['postgresql()', "SELECT * FROM postgresql('127.0.0.1:9', 'd', 't', 'u', 'p')"],
  ['hdfs()', "SELECT * FROM hdfs('hdfs://127.0.0.1:9/x', 'LineAsString')"],
  ['azureBlobStorage()', "SELECT * FROM azureBlobStorage('http://127.0.0.1:9', 'c', 'b', 'LineAsString')"],
  ['merge() over system', "SELECT * FROM merge('system', '^processes$')"],
  ['dictGet()', "SELECT dictGet('d', 'v', toUInt64(1))"],
  ['the dictionary table function', "SELECT * FROM dictionary('d')"],
  ['filesystemAvailable()', 'SELECT filesystemAvailable()'],
  ['catboostEvaluate()', "SELECT catboostEvaluate('/tmp/model.bin', 1)"],
  ['an introspection function', 'SELECT addressToSymbol(toUInt64(1))'],
  ["system.processes (other sessions' query text)", 'SELECT query FROM system.processes'],
  ['system.processes quoted', 'SELECT query FROM `system`.`processes`'],
  ['system.processes in a subquery', 'SELECT count() FROM (SELECT query FROM system.processes)'],
  ['system.processes on the right of IN', "SELECT 1 WHERE 'x' IN system.processes"],
  ['system.named_collections', 'SELECT * FROM system.named_collections'],
  ['INTO OUTFILE', "SELECT 1 INTO OUTFILE '/tmp/aksita-escape.txt'"],
  ['FROM INFILE', "INSERT INTO aksita.human_agent_replies FROM INFILE '/etc/passwd' FORMAT LineAsString"],
  ['SHOW PROCESSLIST', 'SHOW PROCESSLIST'],
];

const HARMLESS: [string, string][] = [
  ['numbers()', 'SELECT count() FROM numbers(10)'],
  ['view() of a plain query', 'SELECT count() FROM view(SELECT number FROM numbers(3))'],
  ['the scalar format(), not the table function', "SELECT format('{}-{}', 'a', 'b')"],
  ['system.tables', "SELECT count() > 0 FROM system.tables WHERE database = 'aksita'"],
];

/** Registers the cases against the contract's store. */
export function queryEscapes(store: () => Store): void {
  describe('query escapes', () => {
    it.each(REFUSED)('%s is refused', async (_name, sql) => {
      const err = (await store()
        .readOnlyQuery(sql, 'TSV')
        .catch((e: unknown) => e)) as { code?: string; message?: string };
      expect(err.code, `${sql} was answered: ${String(err)}`).toBe('query_refused');
    });

    it.each(HARMLESS)('%s is allowed', async (_name, sql) => {
      expect((await store().readOnlyQuery(sql, 'TSV')).toString().trim()).toMatch(/^(10|3|a-b|1)$/);
    });
  });
}
