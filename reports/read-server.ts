// The read API's own HTTP listener: /api/query, /api/reports/*, /metrics and the live dashboards, on QUERY_HOST and
// QUERY_PORT (loopback by default), never on the webhook listener. Built without listening, so
// tests use inject(). cli/pipeline.ts starts it in every role; a receiver-only one has no store
// and serves /metrics alone.
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { QueryConfig } from '../core/config.js';
import { AppError, isAppError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { Store } from '../store/store.js';
import { adminRoutes, type AdminOps } from './admin-routes.js';
import { QuerySlots } from './query-slots.js';
import { readApi } from './read-api.js';

export interface ReadServerOptions {
  query: QueryConfig;
  metrics: Metrics;
  /** The read API; without it (a receiver-only process) the listener serves /metrics alone. */
  api?: {
    store: Store;
    token: string;
    /** Where exports may write scratch files. */
    scratchDir: string;
    /** Opens another connection to the same data for one export, within the query limits. */
    openExportStore?: () => Promise<Store>;
    /** More routes on this listener (the live dashboards, live/), sharing the API's query slots. */
    routes?: (app: FastifyInstance, slots: QuerySlots) => Promise<void>;
  };
  /** /api/admin/* behind its own token (erase, dead letters, backup); only with the read API. */
  admin?: { token: string; ops: AdminOps };
  /** A pino logger; none means silent (tests). */
  loggerInstance?: FastifyBaseLogger;
}

/** A query's text and options; SQL longer than this is not a question someone typed. */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** Time for a client to send its whole request (headers and body). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Slack over QUERY_TIMEOUT_SECONDS before an idle connection is dropped: the engine ends the query first. */
const IDLE_SLACK_MS = 30_000;

export async function buildReadServer(opts: ReadServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // A socket with nothing sent for this long is closed; a query sends nothing until it ends.
    connectionTimeout: opts.query.timeoutSeconds * 1000 + IDLE_SLACK_MS,
    // At shutdown running queries are cut rather than waited for; the engine then stops them.
    forceCloseConnections: true,
    frameworkErrors: (err, req, reply) => {
      const path = req.url.split('?')[0]!.slice(0, 200);
      const error = err.code === 'FST_ERR_BAD_URL' ? new AppError('malformed_url', [path]) : new AppError('not_found', [`${req.method} ${path}`]);
      return (reply as unknown as FastifyReply).status(error.statusCode).send(error.toJSON());
    },
  });
  // The query route parses its JSON itself, so that a bad body is a query_invalid like any other.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    let error: AppError;
    if (isAppError(err)) error = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') error = new AppError('query_invalid', [`the request body is larger than ${BODY_LIMIT_BYTES} bytes`]);
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') error = new AppError('unsupported_media_type', [req.headers['content-type']?.slice(0, 100) || 'missing']);
    else {
      req.log.error({ err }, 'unexpected error');
      error = new AppError('internal', [], { cause: err });
    }
    if (error.code === 'too_many_queries') void reply.header('retry-after', String(error.message.match(/(\d+) s/)?.[1] ?? 1));
    return reply.status(error.statusCode).send(error.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const error = new AppError('not_found', [`${req.method} ${req.url.split('?')[0]}`]);
    return reply.status(404).send(error.toJSON());
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
  if (opts.api) {
    const { routes, ...api } = opts.api;
    const slots = new QuerySlots(opts.query.maxConcurrent);
    await app.register(readApi, { ...api, limits: opts.query, maxConcurrent: opts.query.maxConcurrent, slots });
    if (routes) await routes(app, slots);
  }
  // A plugin of its own: its token hook applies to these routes only.
  if (opts.api && opts.admin) await app.register(adminRoutes, opts.admin);
  return app;
}
