// The live dashboards' routes on the read API's listener (inject, no port) over real chDB: the
// login code flow, the session, strict panel parameters (SQL injection attempts fail), the
// asset allow-list, the headers, and panels sharing the read API's query slots.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createMetrics } from '../../core/metrics.js';
import { liveRoutes } from '../../live/live-routes.js';
import { CODE_TTL_MS, Sessions } from '../../live/sessions.js';
import { buildReadServer } from '../../reports/read-server.js';
import { ChdbStore } from '../../store/chdb-store.js';
import type { Store } from '../../store/store.js';
import { openMigratedStore } from '../helpers/migrated-store.js';
import { REPLIES, toRow } from '../reports/fixture.js';

const TOKEN = 'live-routes-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let now = Date.UTC(2026, 2, 10);
const sessions = new Sessions(() => now);
let store: ChdbStore;
let dir: string;
let close: () => Promise<void>;
let app: FastifyInstance;
let handOver: ((s: Store) => void) | undefined;

beforeAll(async () => {
  // The fixture's replies once each (not its replayed duplicates), so a count is a count of REPLIES.
  ({ store, dir, close } = await openMigratedStore());
  await store.insertReplies(
    REPLIES.map((r, i) => toRow(r, i)),
    'live:0:first',
  );
  const { query } = loadConfig({ QUERY_TOKEN: TOKEN, QUERY_MAX_CONCURRENT: '1' });
  app = await buildReadServer({
    query,
    metrics: createMetrics({ defaultMetrics: false }),
    api: {
      store,
      token: TOKEN,
      scratchDir: dir,
      openExportStore: () => new Promise<Store>((resolve) => (handOver = resolve)),
      routes: async (server, slots) => void (await server.register(liveRoutes, { store, token: TOKEN, limits: query, slots, sessions })),
    },
  });
});
afterAll(async () => {
  await app.close();
  await close();
});

const mint = async () => (await app.inject({ method: 'POST', url: '/live/api/login-code', headers: auth })).json().code as string;
const login = (code: string) => app.inject({ method: 'GET', url: `/login?code=${encodeURIComponent(code)}` });
async function sessionCookie(): Promise<string> {
  const res = await login(await mint());
  return res.headers['set-cookie']!.toString().split(';')[0]!;
}

const FROM = Date.UTC(2026, 2, 5);
const TO = Date.UTC(2026, 2, 10);
const panelUrl = (params: Record<string, string>) =>
  `/live/api/panel?${new URLSearchParams({ dashboard: 'reply-volume', panel: 'replies', from: String(FROM), to: String(TO), interval: '3600000', ...params })}`;
const panel = (params: Record<string, string> = {}, headers: Record<string, string> = auth) => app.inject({ method: 'GET', url: panelUrl(params), headers });
const inRange = (agents?: string[]) => REPLIES.filter((r) => r.eventMs >= FROM && r.eventMs <= TO && (!agents || agents.includes(r.agent))).length;

describe('login', () => {
  it('a code from the query token logs in once: an HttpOnly, SameSite=Strict cookie and the reply-volume dashboard', async () => {
    const code = await mint();
    const res = await login(code);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/live/reply-volume');
    expect(res.headers['set-cookie']).toMatch(/^aksita_live_80=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    const again = await login(code);
    expect(again.statusCode).toBe(403);
    expect(again.headers['content-type']).toMatch(/text\/html/);
    expect(again.body).toContain('it was already used');
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('a wrong, missing or expired code is refused', async () => {
    for (const url of ['/login?code=not-a-code', '/login', '/login?code=']) expect((await app.inject({ method: 'GET', url })).statusCode).toBe(403);
    const code = await mint();
    now += CODE_TTL_MS + 1;
    const res = await login(code);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('older than');
  });

  it('minting a code needs the query token', async () => {
    expect((await app.inject({ method: 'POST', url: '/live/api/login-code' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/live/api/login-code', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
  });

  it('the page and the panels need the session cookie (or the query token); a forged cookie is not one', async () => {
    const cookie = await sessionCookie();
    for (const headers of [{}, { cookie: 'aksita_live_80=forged' }] as Record<string, string>[]) {
      expect((await app.inject({ method: 'GET', url: '/live/reply-volume', headers })).statusCode).toBe(401);
      expect((await panel({}, headers)).json().error.code).toBe('session_required');
      expect((await app.inject({ method: 'GET', url: '/live/api/dashboards', headers })).statusCode).toBe(401);
    }
    const page = await app.inject({ method: 'GET', url: '/live/reply-volume', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self'; style-src 'self'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    // No inline script or style for the CSP to allow: every script has a src, no style or on* attributes.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style| style=| on\w+=/);
    expect((await panel({}, { cookie })).statusCode).toBe(200);
  });
});

describe('panels', () => {
  it('answer with the panel’s own SQL for the range and agents', async () => {
    expect((await panel()).json().rows).toEqual([[inRange()]]);
    expect((await panel({ agent: 'sales' })).json().rows).toEqual([[inRange(['sales'])]]);
    expect((await panel({ agent: 'sales,support' })).json().rows).toEqual([[inRange(['sales', 'support'])]]);
    expect(inRange(['sales'])).toBeGreaterThan(0);
    const list = (await app.inject({ method: 'GET', url: '/live/api/dashboards', headers: auth })).json();
    expect(list.agents).toEqual([...new Set(REPLIES.map((r) => r.agent))].sort());
    expect(JSON.stringify(list)).not.toContain('SELECT');
  });

  it('an annotation is asked for like a panel, by its id', async () => {
    const res = await panel({ dashboard: 'credits', panel: 'top-ups' });
    expect(res.statusCode).toBe(200);
    expect(res.json().columns.map((c: { name: string }) => c.name)).toEqual(['time', 'timeEnd', 'text', 'tags']);
    const list = (await app.inject({ method: 'GET', url: '/live/api/dashboards', headers: auth })).json();
    expect(list.dashboards.find((d: { id: string }) => d.id === 'credits').annotations).toEqual([{ id: 'top-ups', name: 'Credit top-ups', color: 'green' }]);
  });

  it.each([
    ["agent=x') OR 1=1 --", { agent: "x') OR 1=1 --" }],
    ['a backslash before the quote', { agent: 'sales\\' }],
    ['a quote in a list', { agent: "sales,x'" }],
    ['a newline', { agent: 'sales\nUNION SELECT 1' }],
    ['SQL as the start', { from: '0 OR 1=1' }],
    ['a negative time', { to: '-1' }],
    ['a fraction', { interval: '1000.5' }],
    ['SQL for an id', { panel: "replies'; DROP TABLE x" }],
    ['a path for an id', { dashboard: '../reply-volume' }],
    ['SQL sent by the page', { sql: 'SELECT * FROM system.users' }],
    ['an end before the start', { from: String(TO), to: String(FROM) }],
    ['a range over 400 days', { from: '0' }],
    ['too many buckets', { interval: '1000' }],
    ['a bucket under a second', { interval: '999' }],
  ])('refuse %s (400 live_invalid), running nothing', async (_name, params) => {
    const res = await panel(params as Record<string, string>);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('live_invalid');
  });

  it('a repeated parameter is refused, an unknown panel is 404', async () => {
    expect((await app.inject({ method: 'GET', url: `${panelUrl({})}&agent=sales&agent=support`, headers: auth })).statusCode).toBe(400);
    expect((await panel({ panel: 'no-such-panel' })).json().error.code).toBe('live_not_found');
    expect((await app.inject({ method: 'GET', url: '/live/no-such-dashboard', headers: auth })).statusCode).toBe(404);
  });

  it('share QUERY_MAX_CONCURRENT with the read API: a panel waits for the slot an export holds', async () => {
    const exporting = app.inject({ method: 'GET', url: '/api/reports/summary?from=2026-03-05&to=2026-03-09&format=csv', headers: auth });
    await expect.poll(() => handOver !== undefined).toBe(true);
    let answered = false;
    const waiting = panel().then((r) => ((answered = true), r));
    // The export holds the one slot: the panel is still waiting once /api/query is refused.
    const refused = await app.inject({ method: 'POST', url: '/api/query', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ query: 'SELECT 1' }) });
    expect(refused.statusCode).toBe(429);
    expect(answered).toBe(false);
    handOver!(await ChdbStore.open(dir));
    expect((await exporting).statusCode).toBe(200);
    expect((await waiting).json().rows).toEqual([[inRange()]]);
  });
});

describe('assets', () => {
  it('come from the allow-list only, gzipped when asked, with an ETag', async () => {
    const app_js = await app.inject({ method: 'GET', url: '/live/assets/app.js', headers: { 'accept-encoding': 'gzip' } });
    expect(app_js.statusCode).toBe(200);
    expect(app_js.headers['content-encoding']).toBe('gzip');
    expect(app_js.headers['content-type']).toMatch(/^text\/javascript/);
    const etag = app_js.headers.etag as string;
    expect((await app.inject({ method: 'GET', url: '/live/assets/app.js', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/live/assets/uPlot.iife.min.js' })).body).toContain('uPlot');
    for (const url of ['/live/assets/..%2Fsessions.ts', '/live/assets/../../package.json', '/live/assets/index.html', '/live/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/live/assets/']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('"name": "aksita');
    }
  });
});
