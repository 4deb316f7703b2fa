// The read API's own listener (inject, no port) over real chDB: exports share the queries'
// concurrency cap, a refusal is 429 with Retry-After, and /metrics is served here.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createMetrics } from '../../core/metrics.js';
import { buildReadServer } from '../../reports/read-server.js';
import { ChdbStore } from '../../store/chdb-store.js';
import type { Store } from '../../store/store.js';
import { openFixtureStore } from './fixture.js';

const TOKEN = 'read-server-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let store: ChdbStore;
let dir: string;
let close: () => Promise<void>;
let app: FastifyInstance;
// Each export's store is handed over only when the test says so: until then the export holds its slot.
let handOver: ((s: Store) => void) | undefined;

beforeAll(async () => {
  ({ store, dir, close } = await openFixtureStore());
  const { query } = loadConfig({ QUERY_TOKEN: TOKEN, QUERY_MAX_CONCURRENT: '1' });
  app = await buildReadServer({
    query,
    metrics: createMetrics({ defaultMetrics: false }),
    api: { store, token: TOKEN, scratchDir: dir, openExportStore: () => new Promise<Store>((resolve) => (handOver = resolve)) },
  });
});
afterAll(async () => {
  await app.close();
  await close();
});

const sql = (query: string) => app.inject({ method: 'POST', url: '/api/query', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ query, format: 'TSV' }) });

describe('the read server', () => {
  it('an export holds a slot of QUERY_MAX_CONCURRENT until it is sent; a query meanwhile is 429 with Retry-After', async () => {
    const exporting = app.inject({ method: 'GET', url: '/api/reports/summary?from=2026-03-05&to=2026-03-09&format=csv', headers: auth });
    await expect.poll(() => handOver !== undefined).toBe(true);
    const refused = await sql('SELECT 1');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().error.code).toBe('too_many_queries');
    handOver!(await ChdbStore.open(dir));
    expect((await exporting).statusCode).toBe(200);
    await expect.poll(async () => (await sql('SELECT 1')).statusCode).toBe(200);
  });

  it('serves /metrics, and answers unknown routes in the catalogue shape', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    const missing = await app.inject({ method: 'POST', url: '/webhook' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('a body over the limit is a query_invalid, not a crash', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/query',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ query: `SELECT '${'x'.repeat(2 * 1024 * 1024)}'` }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('query_invalid');
  });
});
