// What the server store does without a server: it fails as "store unavailable" (retriable,
// naming the URL, never the password), and the read-only settings it sends are ones the engine
// accepts together with the guard's SQL. No ClickHouse server is started or faked: the first
// tests talk to a closed TCP port, the last uses chDB (the same engine) for the settings rules.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseConfig } from '../../core/config.js';
import { guardSettings } from '../../store/clickhouse-http.js';
import { openStore } from '../../store/open-store.js';
import { checkReadOnly } from '../../store/read-only-query.js';
import type { Store } from '../../store/store.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('server store with no server listening', () => {
  let store: Store;
  let config: ClickHouseConfig;
  beforeAll(async () => {
    config = { url: `http://127.0.0.1:${await closedPort()}`, user: 'aksita', password: 'pw-do-not-print', database: 'aksita', cluster: undefined };
    store = await openStore({ dataDir: '/nonexistent', clickhouse: config });
  });
  afterAll(async () => store.close());

  it('CLICKHOUSE_URL set: the factory opens the server store, without connecting', () => {
    expect(store.kind).toBe('clickhouse');
  });

  it.each([
    ['ping', () => store.ping()],
    ['migrate', () => store.migrate()],
    ['insert', () => store.insertReplies([{ agent: 'a' } as never], 't')],
    ['key check', () => store.storedReplyKeys([{ agent: 'a', message_id: 'm' }])],
    ['query', () => store.query('SELECT 1', { format: 'TSV' })],
    ['read-only query', () => store.readOnlyQuery('SELECT 1', 'TSV')],
  ])('%s fails as a retriable store_unavailable naming the URL, not the password', async (_name, call) => {
    const err = await (call as () => Promise<unknown>)().then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; retriable?: boolean },
    );
    expect(err).toMatchObject({ code: 'store_unavailable', retriable: true });
    expect(err!.message).toContain(config.url);
    expect(err!.message).not.toContain(config.password);
  });
});

describe('read-only settings sent with a user query', () => {
  let dir: string;
  let session: Session;
  const run = async (sql: string, params?: Record<string, unknown>) =>
    (params ? await session.queryBindAsync(sql, params, { format: 'TSVRaw' }) : await session.queryAsync(sql, { format: 'TSVRaw' })).text();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aksita-ro-settings-'));
    session = new Session(dir);
  });
  afterAll(async () => {
    session.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("are exactly the guard's own SETTINGS clause, with readonly = 1", async () => {
    const checked = await checkReadOnly('SELECT 1', run);
    expect(guardSettings(checked.sql)).toEqual({
      readonly: '1',
      max_execution_time: '30',
      max_memory_usage: String(1024 * 1024 * 1024),
      max_result_bytes: String(256 * 1024 * 1024),
      result_overflow_mode: 'throw',
      max_threads: '2',
      os_threads_nice_value_query: '19',
    });
    const meta = await checkReadOnly('SHOW TABLES FROM system', run);
    expect(guardSettings(meta.sql)).toEqual({ readonly: '1' });
  });

  it('are accepted by the engine together with the SQL; a query that changes one is refused', async () => {
    // The server applies request settings before the SQL's SETTINGS clause; SET does the same here.
    const checked = await checkReadOnly("SELECT 'ok' FORMAT CSV", run);
    const settings = guardSettings(checked.sql);
    for (const [name, value] of Object.entries(settings).reverse()) await session.queryAsync(`SET ${name} = ${/^\d+$/.test(String(value)) ? String(value) : `'${String(value)}'`}`, { format: 'TSV' });
    expect((await run(checked.sql)).trim()).toBe('ok');
    await expect(run("SELECT * FROM file('/etc/hostname', 'LineAsString')")).rejects.toThrow(/Code: 164/);
    await expect(run('SELECT 1 SETTINGS max_execution_time = 5')).rejects.toThrow(/Code: 164/);
  });
});
