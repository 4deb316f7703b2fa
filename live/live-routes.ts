// The live dashboards on the read API's listener (QUERY_HOST:QUERY_PORT, loopback by default):
//   POST /live/api/login-code   a one-time code, for the query token (reply-analytics open)
//   GET  /login?code=…          code -> HttpOnly SameSite=Strict session cookie -> the dashboards
//   GET  /live/:dashboard       the page (session or query token)
//   GET  /live/api/dashboards   dashboards, panels (no SQL) and agents
//   GET  /live/api/panel?…      one panel's (or annotation's) answer: its own SQL, for the range and agents
//   GET  /live/assets/:name     the page's files, from a fixed allow-list
// Panels run through the read-only query path with the read API's limits and its
// QUERY_MAX_CONCURRENT slots; the page never sends SQL.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import { AGENT_VARIABLE_SQL } from '../dashboards/dashboard-base.js';
import { DASHBOARDS, findQuery } from '../dashboards/definitions.js';
import type { DashboardDef } from '../dashboards/panel-def.js';
import type { QueryLimits } from '../store/read-only-query.js';
import type { Store } from '../store/store.js';
import { loadAssets, PAGE_FILE } from './assets.js';
import { liveDashboards } from './dashboard-list.js';
import { messagePage } from './message-page.js';
import { parsePanelRequest } from './panel-request.js';
import { toPanelResult } from './panel-result.js';
import { panelSql } from './panel-sql.js';
import { CODE_TTL_MS, SESSION_TTL_MS, Sessions } from './sessions.js';
import { tokenMatches } from './token.js';

export interface LiveOptions {
  store: Store;
  /** The read API's query token: mints login codes, and lets API clients in without a cookie. */
  token: string;
  limits: QueryLimits;
  /** The read API's QUERY_MAX_CONCURRENT slots, shared with /api/query and exports. */
  slots: { acquire(waitMs: number, signal?: AbortSignal): Promise<() => void> };
  sessions?: Sessions;
  dashboards?: readonly DashboardDef[];
}

/**
 * The session cookie's name carries the listener's port: browsers keep cookies per host, not per
 * port, so two processes on one machine would otherwise overwrite each other's session.
 */
export const sessionCookie = (req: FastifyRequest) => `aksita_live_${/:(\d+)$/.exec(req.headers.host ?? '')?.[1] ?? '80'}`;
export const LANDING = '/live/reply-volume';

// 'self' only: no inline script or style, no other origin, not framed by anyone.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Aborted when the client leaves before its answer is sent, so the engine stops the query. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => !reply.raw.writableFinished && controller.abort());
  return controller.signal;
}

export async function liveRoutes(app: FastifyInstance, opts: LiveOptions): Promise<void> {
  const sessions = opts.sessions ?? new Sessions();
  const defs = opts.dashboards ?? DASHBOARDS;
  const assets = await loadAssets();
  const page = await readFile(PAGE_FILE);
  const slotWaitMs = opts.limits.timeoutSeconds * 1000;

  app.addHook('onSend', async (req, reply) => {
    void reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    if (!req.url.startsWith('/live/assets/')) void reply.header('cache-control', 'no-store');
  });

  const signedIn = (req: FastifyRequest) => sessions.isValid(cookie(req, sessionCookie(req))) || tokenMatches(req.headers.authorization, opts.token);
  const requireApiSession = async (req: FastifyRequest) => {
    if (!signedIn(req)) throw new AppError('session_required');
  };
  const run = async (sql: string, reply: FastifyReply) => {
    const signal = clientGone(reply);
    const release = await opts.slots.acquire(slotWaitMs, signal);
    try {
      return toPanelResult(await opts.store.readOnlyQuery(sql, 'JSONCompact', { limits: opts.limits, signal }));
    } finally {
      release();
    }
  };

  app.post('/live/api/login-code', async (req, reply) => {
    if (!tokenMatches(req.headers.authorization, opts.token)) throw new AppError('unauthorized');
    return reply.send({ code: sessions.mintCode(), expiresInSeconds: CODE_TTL_MS / 1000, path: '/login' });
  });

  // Not logged at info ("incoming request" would write the code into the process log).
  app.get('/login', { logLevel: 'warn' }, async (req, reply) => {
    const code = (req.query as { code?: unknown }).code;
    const redeemed = typeof code === 'string' && code.length <= 100 ? sessions.redeem(code) : ({ ok: false, why: 'unknown' } as const);
    if (!redeemed.ok) {
      const why = { unknown: 'it is not a code this process gave out', expired: `it is older than ${CODE_TTL_MS / 60_000} minutes`, used: 'it was already used' }[redeemed.why];
      const error = new AppError('login_refused', [why]);
      return reply.status(error.statusCode).type('text/html; charset=utf-8').send(messagePage('Login link refused', error.message));
    }
    const attributes = `HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
    return reply.header('set-cookie', `${sessionCookie(req)}=${redeemed.session}; ${attributes}`).redirect(LANDING, 303);
  });

  app.get('/', async (_req, reply) => reply.redirect(LANDING, 302));
  app.get('/live', async (_req, reply) => reply.redirect(LANDING, 302));

  app.get('/live/:dashboard', async (req, reply) => {
    const id = (req.params as { dashboard: string }).dashboard;
    if (!signedIn(req)) {
      const error = new AppError('session_required');
      return reply.status(error.statusCode).type('text/html; charset=utf-8').send(messagePage('Sign in first', error.message));
    }
    if (!defs.some((d) => d.id === id)) throw new AppError('live_not_found', [`dashboard "${id.slice(0, 64)}"`]);
    return reply.type('text/html; charset=utf-8').send(page);
  });

  app.get('/live/assets/:name', async (req, reply) => {
    const asset = assets.get((req.params as { name: string }).name);
    if (!asset) throw new AppError('not_found', [`GET ${req.url.split('?')[0]!.slice(0, 200)}`]);
    // Revalidated on every load (a new version of the app must not mix with cached modules): 304 when unchanged.
    void reply.header('cache-control', 'no-cache').header('etag', asset.etag).header('vary', 'accept-encoding').type(asset.type);
    if (req.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.body);
  });

  app.get('/live/api/dashboards', { onRequest: requireApiSession }, async (_req, reply) => {
    const agents = await run(AGENT_VARIABLE_SQL, reply);
    return reply.send({ dashboards: liveDashboards(defs), agents: agents.rows.map((r) => String(r[0])) });
  });

  app.get('/live/api/panel', { onRequest: requireApiSession }, async (req, reply) => {
    const request = parsePanelRequest(req.query);
    const found = findQuery(request.dashboard, request.panel, defs);
    if (!found) throw new AppError('live_not_found', [`"${request.panel}" on dashboard "${request.dashboard}"`]);
    return reply.send(await run(panelSql(found, request), reply));
  });
}
