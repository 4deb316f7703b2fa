// GET /api/reports/* on the real app (inject, no port) over real chDB: the same exports as the
// CLI's, behind the query token, with clear 400s for bad parameters.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createMetrics } from '../../core/metrics.js';
import { buildReadServer } from '../../reports/read-server.js';
import { parseReportRequest } from '../../reports/report-params.js';
import { ChdbStore } from '../../store/chdb-store.js';
import { compareSummary, expectedSummary, inRange } from './expected.js';
import { insertSyntheticReplies } from '../../reports/synthetic-replies.js';
import { openFixtureStore, REPLIES, toRow } from './fixture.js';
import { csvObjects, jsonLines } from './read-back.js';

const TOKEN = 'report-route-test-token-0123456789';
let store: ChdbStore;
let dir: string;
let close: () => Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  ({ store, dir, close } = await openFixtureStore());
  const { query } = loadConfig({ QUERY_TOKEN: TOKEN, QUERY_MAX_CONCURRENT: '4' });
  app = await buildReadServer({
    query,
    metrics: createMetrics({ defaultMetrics: false }),
    api: { store, token: TOKEN, scratchDir: dir, openExportStore: () => ChdbStore.open(dir, { limits: query }) },
  });
});
afterAll(async () => {
  await app.close();
  await close();
});

const get = (url: string, token: string | null = TOKEN) => app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

const RANGE = 'from=2026-03-05&to=2026-03-09&tz=Asia/Jakarta';

describe('authentication', () => {
  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-token'],
  ])('%s is refused with 401', async (_name, token) => {
    const res = await get(`/api/reports/summary?${RANGE}`, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });
});

describe('authentication, continued', () => {
  it('the scheme name is case-insensitive', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/reports/summary?${RANGE}`, headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
  });
});

describe('exports', () => {
  const expected = (agents: string[] = []) => {
    const r = parseReportRequest({ from: '2026-03-05', to: '2026-03-09', tz: 'Asia/Jakarta', format: 'csv' });
    return expectedSummary(REPLIES, { fromMs: r.fromMs, toMs: r.toMs, tz: r.tz, agents });
  };

  it('summary CSV (the default format) has the expected figures and a file name', async () => {
    const res = await get(`/api/reports/summary?${RANGE}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="replies-summary-2026-03-05-2026-03-09.csv"');
    expect(compareSummary(csvObjects(res.body), expected())).toEqual([]);
  });

  it('a time zone written in lower case gives the same figures as its own spelling', async () => {
    const res = await get(`/api/reports/summary?${RANGE.replace('Asia/Jakarta', 'asia/jakarta')}`);
    expect(res.statusCode).toBe(200);
    expect(compareSummary(csvObjects(res.body), expected())).toEqual([]);
  });

  it('a range reaching the year 9999 is refused as a parameter error, not an engine failure', async () => {
    const res = await get('/api/reports/summary?from=2026-03-05&to=9999-12-31');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'report_invalid', message: expect.stringContaining('to "9999-12-31" is outside the years') });
  });

  it('summary JSON for two agents given as a repeated parameter', async () => {
    const res = await get(`/api/reports/summary?${RANGE}&format=json&agent=sales&agent=billing`);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(compareSummary(res.json(), expected(['sales', 'billing']))).toEqual([]);
  });

  it('detail JSON lines announce their row count and hold every reply once', async () => {
    const res = await get(`/api/reports/detail?${RANGE}&format=json`);
    const want = expected().reduce((n, r) => n + r.replies, 0);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(Number(res.headers['x-total-rows'])).toBe(want);
    expect(jsonLines(res.body)).toHaveLength(want);
  });

  it('detail Parquet has a length up front, reads back in chDB, and leaves no scratch file', async () => {
    const res = await get(`/api/reports/detail?${RANGE}&format=parquet`);
    expect(res.headers['content-type']).toBe('application/vnd.apache.parquet');
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
    const file = path.join(dir, 'from-http.parquet');
    await writeFile(file, res.rawPayload);
    const out = await store.query("SELECT count() FROM file({p:String}, 'Parquet')", { format: 'TSV', params: { p: file } });
    const r = parseReportRequest({ from: '2026-03-05', to: '2026-03-09', tz: 'Asia/Jakarta', format: 'csv' });
    expect(Number(out.toString().trim())).toBe(inRange(REPLIES, { fromMs: r.fromMs, toMs: r.toMs, tz: r.tz }).length);
    expect((await readdir(dir)).filter((f) => f.startsWith('.report-'))).toEqual([]);
  });

  it('several detail exports at once each get every row', async () => {
    const results = await Promise.all(['csv', 'json', 'csv', 'json'].map((f) => get(`/api/reports/detail?${RANGE}&format=${f}`)));
    const want = expected().reduce((n, r) => n + r.replies, 0);
    for (const res of results) {
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      const lines = res.body.split('\n').filter(Boolean).length;
      expect(lines).toBeGreaterThanOrEqual(want); // CSV adds a header and may hold line breaks in fields
    }
    expect(jsonLines(results[1]!.body)).toHaveLength(want);
  });

  it('the HTML report is one page with the summary table', async () => {
    const res = await get(`/api/reports/summary?${RANGE}&format=html`);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<table id="summary">');
  });

  it('read-only SQL is still served next to the reports', async () => {
    const res = await get(`/api/query?query=${encodeURIComponent('SELECT 1 AS one')}&format=TSV`);
    expect(res.body).toBe('1\n');
  });
});

describe('exports while the pipeline stores replies', () => {
  it('a detail export streams to the end while inserts run on the same data', async () => {
    await insertSyntheticReplies(store, 300_000); // January; the fixture is in March
    const pending = get('/api/reports/detail?from=2026-01-01&to=2026-01-31&tz=UTC&format=json');
    let inserts = 0;
    let insertsDuringExport = 0;
    let finished = false;
    void pending.finally(() => (finished = true));
    // What the consumer does all the time: key checks and inserts, here of February replies.
    while (!finished || inserts < 3) {
      const row = toRow({ ...REPLIES[0]!, messageId: `during-${inserts}`, eventMs: Date.UTC(2026, 1, 1) }, 50_000 + inserts);
      await store.storedReplyKeys([row]);
      await store.insertReplies([row], `during-export-${inserts}`);
      inserts += 1;
      if (!finished) insertsDuringExport += 1;
    }
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(jsonLines(res.body)).toHaveLength(300_000);
    // Inserts completed while the export streamed (how many depends on the machine's speed).
    expect(insertsDuringExport).toBeGreaterThan(0);
  });
});

describe('bad parameters', () => {
  it.each([
    ['an unknown format', `${RANGE}&format=xlsx`, /format "xlsx" is not supported; expected one of csv, json, parquet, html/],
    ['from after to', 'from=2026-03-09&to=2026-03-05', /from "2026-03-09" is not before to "2026-03-05"/],
    ['an unparseable date', 'from=yesterday&to=2026-03-05', /from "yesterday" is not a date: expected YYYY-MM-DD/],
    ['an impossible date', 'from=2026-02-30&to=2026-03-05', /from "2026-02-30" is not a date: it is not a real calendar date/],
    ['an unknown time zone', `${RANGE.replace('Asia/Jakarta', 'Mars/Olympus')}`, /tz "Mars\/Olympus" is not a known time zone/],
    ['a missing range', 'format=csv', /from is missing/],
  ])('%s gives 400 report_invalid', async (_name, query, message) => {
    const res = await get(`/api/reports/summary?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('report_invalid');
    expect(res.json().error.message).toMatch(message);
  });

  it('HTML detail is refused: the HTML report is the summary', async () => {
    const res = await get(`/api/reports/detail?${RANGE}&format=html`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/detail rows have no HTML form/);
  });

  it('an unknown report is 404, and HEAD does not run an export', async () => {
    expect((await get(`/api/reports/everything?${RANGE}`)).statusCode).toBe(404);
    expect((await app.inject({ method: 'HEAD', url: `/api/reports/summary?${RANGE}`, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(404);
  });
});
