// The receiver's HTTP application: the server every role shares (http/base-app.ts) with the
// webhook routes, their raw-body parser and their metrics. /metrics and the read API listen
// elsewhere (reports/read-server.ts), never here. Built without listening, so tests use inject().
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { buildBaseApp } from '../http/base-app.js';
import type { Publisher } from '../queue/publisher.js';
import { webhookRoutes } from './webhook-route.js';

export interface AppOptions {
  config: Config;
  publisher: Publisher;
  metrics: Metrics;
  /** Named readiness checks for /readyz besides the queue's; each throws or resolves false when not ready. */
  readiness?: Record<string, () => Promise<boolean>>;
  /** A pino logger; none means silent (tests). */
  loggerInstance?: FastifyBaseLogger;
}

/** An agent path the router refuses is an unknown agent; anything else, not found. */
function unroutable(method: string, path: string): AppError {
  if (path.startsWith('/webhook/')) return new AppError('unknown_agent', [`${path.slice('/webhook/'.length, '/webhook/'.length + 64)}...`]);
  return new AppError('not_found', [`${method} ${path}`]);
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config, metrics, publisher } = opts;
  const app = buildBaseApp({
    config,
    metrics,
    readiness: { queue: async () => publisher.ready, ...opts.readiness },
    describe: () => publisher.describe?.() ?? {},
    unroutable,
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : {}),
  });

  // The body stays raw bytes: the signature is computed over exactly what was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // A callback, not async: no promise per request.
  app.addHook('onRequest', (req, _reply, done) => {
    const encoding = req.headers['content-encoding'];
    if (req.method === 'POST' && encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      done(new AppError('unsupported_encoding', [encoding]));
    } else done();
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    if (route?.startsWith('/webhook')) {
      metrics.requests.inc({ route, outcome: reply.statusCode < 300 ? 'accepted' : (req.errorCode ?? String(reply.statusCode)) });
    }
    done();
  });

  await app.register(webhookRoutes, { config, publisher, metrics });
  return app;
}
