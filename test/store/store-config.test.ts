// Choosing the store by configuration: CLICKHOUSE_* variables as core/config.ts reads them,
// and the factory that opens chDB or the server store from them.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { openStore } from '../../store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const configError = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
};

describe('store configuration', () => {
  it('CLICKHOUSE_URL unset: chDB under DATA_DIR, whatever the other CLICKHOUSE_* say', async () => {
    const config = loadConfig({ CLICKHOUSE_USER: 'someone', CLICKHOUSE_PASSWORD: 'pw' });
    expect(config.clickhouse).toBeUndefined();
    const dir = await tempDir();
    const store = await openStore({ ...config, dataDir: dir.path });
    try {
      expect(store.kind).toBe('chdb');
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('CLICKHOUSE_URL set: the server with the user default, no password, the server-side default database', () => {
    expect(loadConfig({ CLICKHOUSE_URL: 'http://clickhouse:8123' }).clickhouse).toEqual({
      url: 'http://clickhouse:8123',
      user: 'default',
      password: '',
      database: undefined,
      cluster: undefined,
    });
    expect(
      loadConfig({ CLICKHOUSE_URL: 'https://ch.example.com:8443/', CLICKHOUSE_USER: 'aksita', CLICKHOUSE_PASSWORD: 'pw', CLICKHOUSE_DATABASE: 'aksita', CLICKHOUSE_CLUSTER: '{cluster}' }).clickhouse,
    ).toEqual({ url: 'https://ch.example.com:8443/', user: 'aksita', password: 'pw', database: 'aksita', cluster: '{cluster}' });
  });

  it.each([
    ['ftp://clickhouse:21', 'CLICKHOUSE_URL="ftp://clickhouse:21": expected http(s)://host:port'],
    ['clickhouse:8123', 'CLICKHOUSE_URL="clickhouse:8123": expected http(s)://host:port'],
    ['http://clickhouse:8123/aksita', 'CLICKHOUSE_URL="http://clickhouse:8123/aksita": expected http(s)://host:port'],
    ['http://clickhouse:8123?database=x', 'CLICKHOUSE_URL="http://clickhouse:8123?database=x": expected http(s)://host:port'],
  ])('CLICKHOUSE_URL=%s is refused, naming the value and what was expected', (url, message) => {
    expect(configError({ CLICKHOUSE_URL: url })).toContain(message);
  });

  it('credentials in CLICKHOUSE_URL are refused without printing the password', () => {
    const message = configError({ CLICKHOUSE_URL: 'http://aksita:hunter2@clickhouse:8123' });
    expect(message).toContain('CLICKHOUSE_URL="http://aksita:(hidden)@clickhouse:8123": expected http(s)://host:port');
    expect(message).toContain('user, password and database have their own variables');
    expect(message).not.toContain('hunter2');
  });

  it('CLICKHOUSE_PASSWORD never appears in configuration errors', () => {
    const message = configError({ CLICKHOUSE_PASSWORD: 'hunter2', CLICKHOUSE_URL: 'nope' });
    expect(message).not.toContain('hunter2');
  });

  it('a database or cluster name that could not be one is refused', () => {
    expect(configError({ CLICKHOUSE_URL: 'http://c:8123', CLICKHOUSE_DATABASE: 'aksita; DROP' })).toContain('CLICKHOUSE_DATABASE="aksita; DROP": expected a database name');
    expect(configError({ CLICKHOUSE_URL: 'http://c:8123', CLICKHOUSE_CLUSTER: "x' OR 1" })).toContain('CLICKHOUSE_CLUSTER="x\' OR 1": expected a cluster name');
  });

  it('CLICKHOUSE_CLUSTER without CLICKHOUSE_URL is refused: chDB has no cluster', () => {
    expect(configError({ CLICKHOUSE_CLUSTER: 'main' })).toContain('CLICKHOUSE_CLUSTER="main": expected CLICKHOUSE_URL to be set too');
  });
});
