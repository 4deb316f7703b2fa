// The interactive SQL console on real chDB: queries over several lines, errors that do not end
// the session, format switching, and a history that survives into the next session.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlConsole } from '../../reports/sql-console.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openFixtureStore, REPLIES } from './fixture.js';

let store: ChdbStore;
let dir: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, dir, close } = await openFixtureStore());
});
afterAll(async () => {
  await close();
});

/** Runs a console session fed with `keys`; returns everything it printed. */
async function session(keys: string[], terminal: boolean, historyFile: string): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d: Buffer) => (printed += d.toString()));
  const done = sqlConsole({ input, output, terminal, historyFile, format: 'TSV', run: (sql, format) => store.readOnlyQuery(sql, format) });
  for (const k of keys) {
    input.write(k);
    await new Promise((r) => setTimeout(r, 30));
  }
  input.end();
  await done;
  return printed;
}

describe('SQL console', () => {
  it('runs queries ended by ";" (also over several lines), reports errors and goes on', async () => {
    const history = path.join(dir, 'run', 'history-1');
    const out = await session(
      [
        'SELECT 1 AS one;\n',
        'SELECT replies\n',
        "FROM aksita.latency_percentiles(tz = 'UTC', from = '2026-03-01', to = '2026-04-01')\n",
        "WHERE agent = 'billing';\n",
        'DROP TABLE aksita.human_agent_replies;\n',
        '\\format JSONEachRow\n',
        'SELECT 2 AS two;\n',
        '\\q\n',
      ],
      false,
      history,
    );
    expect(out).toContain('1\n(');
    const billing = REPLIES.filter((r) => r.agent === 'billing').length;
    expect(out).toMatch(new RegExp(`-> ${billing}\\n\\(\\d+\\.\\d{3} s\\)`)); // the count, then the time taken
    expect(out).toContain('error [query_refused]: Only read-only queries are allowed');
    expect(out).toContain('format: JSONEachRow');
    expect(out).toContain('{"two":2}');
    expect((await readFile(history, 'utf8')).split('\n')).toEqual([
      'SELECT 1 AS one;',
      "SELECT replies FROM aksita.latency_percentiles(tz = 'UTC', from = '2026-03-01', to = '2026-04-01') WHERE agent = 'billing';",
      'DROP TABLE aksita.human_agent_replies;',
      'SELECT 2 AS two;',
      '',
    ]);
    expect((await store.query('SELECT count() FROM aksita.human_agent_replies', { format: 'TSV' })).toString()).not.toBe('0\n');
  });

  it('on a terminal, the up arrow recalls the last statement of an earlier session', async () => {
    const history = path.join(dir, 'run', 'history-2');
    await writeFile(history, 'SELECT 40 + 1 AS answer;\nSELECT 40 + 2 AS answer;\n');
    const out = await session(['\x1b[A', '\r', '\\q\r'], true, history);
    expect(out).toContain('42\n');
    expect(out).not.toContain('41\n');
  });
});
