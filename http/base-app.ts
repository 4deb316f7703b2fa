// The HTTP server behind PORT in every role: limits on connections and time, errors in the
// catalogue's shape, the shutdown drain, /healthz and /readyz. The receiver (ingest/app.ts) adds
// its webhook routes; a consumer-only process serves just this. Built without listening, so
// tests use inject().
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../core/config.js';
import { AppError, isAppError, type ErrorCode } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { clientErrorHandler, isClientAbort, logClientAbort } from './client-errors.js';
import { applyConnectionLimits } from './connection-limits.js';
import { lazyChildLogger } from './lazy-child-logger.js';

export interface BaseAppOptions {
  config: Config;
  metrics: Metrics;
  /** Named readiness checks for /readyz; each throws or resolves false when not ready. */
  readiness?: Record<string, () => Promise<boolean>>;
  /** More fields for /readyz's answer (the queue's state). */
  describe?: () => Record<string, unknown>;
  /** The catalogue's error for a path the router refuses (default: not_found). */
  unroutable?: (method: string, path: string) => AppError;
  /** A pino logger; none means silent (tests). */
  loggerInstance?: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyRequest {
    errorCode: ErrorCode | undefined;
  }
  interface FastifyInstance {
    /** Starts the shutdown drain: from now on every answer closes its connection (keep listening meanwhile). */
    drain(): void;
  }
}

// Fastify's own error codes, translated into the catalogue's.
const FASTIFY_CODES: Record<string, (err: FastifyError, config: Config, req: FastifyRequest) => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_e, config) => new AppError('body_too_large', [config.maxBodyBytes]),
  // From the request: fastify 5's message no longer names the type. Cut short, as it is echoed back.
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_e, _config, req) => new AppError('unsupported_media_type', [req.headers['content-type']?.slice(0, 100) || 'missing']),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new AppError('malformed_json', ['the body is shorter or longer than Content-Length']),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new AppError('empty_body'),
};

/** The nearest `hops` proxies are trusted (a hop count, as proxy-addr reads a number; fastify's types take only the function). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

const notFound = (method: string, path: string) => new AppError('not_found', [`${method} ${path}`]);

export function buildBaseApp(opts: BaseAppOptions): FastifyInstance {
  const { config, metrics, unroutable = notFound } = opts;
  const { requestTimeoutMs } = config.receiver;
  const app = Fastify({
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: false }),
    // One log line per webhook would dominate the logs at thousands per second.
    logController: new LogController({ disableRequestLogging: true }),
    // ...so each request's child logger is made only if the request logs (lazy-child-logger.ts).
    childLoggerFactory: lazyChildLogger,
    bodyLimit: config.maxBodyBytes,
    // A whole request (headers and body) must arrive within the limit, so a client that trickles
    // bytes cannot hold a connection; Node checks this only every connectionsCheckingInterval,
    // so that is made short enough to cut a slow client close to the limit. Idle keep-alive
    // connections are closed by keepAliveTimeout (fastify's default, above common load
    // balancers' idle timeouts); no socket inactivity timeout, as it would also cut a webhook
    // whose publish is slow and lose the reply.
    requestTimeout: requestTimeoutMs,
    http: { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, Math.ceil(requestTimeoutMs / 4)) },
    clientErrorHandler: clientErrorHandler(requestTimeoutMs),
    // Behind a load balancer the client address comes from X-Forwarded-For, but only from the
    // proxies TRUST_PROXY names: believed from anyone, it lets a client pick its own address
    // and escape the failed-signature limit.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // While draining for shutdown, a webhook on a connection that is still open is taken (and
    // the connection then closed): Aksita does not retry, so a 503 would lose the reply. The
    // queue closes only after the drain (cli/pipeline.ts).
    return503OnClosing: false,
    // The router's own refusals, in the catalogue's shape.
    frameworkErrors: (err, req, reply) => {
      const path = req.url.split('?')[0]!.slice(0, 200);
      const error = err.code === 'FST_ERR_BAD_URL' ? new AppError('malformed_url', [path]) : unroutable(req.method, path);
      // Sent here: a reply without a route does not reach the error handler below. (fastify types
      // this reply for no route in particular.)
      return (reply as unknown as FastifyReply).status(error.statusCode).send(error.toJSON());
    },
  });
  app.decorateRequest('errorCode', undefined);
  applyConnectionLimits(app.server, { limits: config.receiver, trustProxy: config.trustProxy, registry: metrics.registry });

  // Hooks on every request take a callback rather than being async: no promise per request.
  // Draining for shutdown: every answer closes its connection, so clients stop sending on
  // keep-alive connections that close() would then cut while a request may be on its way.
  let draining = false;
  app.decorate('drain', () => {
    draining = true;
  });
  app.addHook('onRequest', (_req, reply, done) => {
    if (draining) void reply.header('connection', 'close');
    done();
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    let error: AppError;
    if (isAppError(err)) error = err;
    else if (isClientAbort(err, req)) {
      // The client is gone (or was cut for slowness): nothing to answer, not a server fault.
      logClientAbort(req, err);
      error = new AppError('request_timeout', [requestTimeoutMs]);
    } else if (err.code && FASTIFY_CODES[err.code]) error = FASTIFY_CODES[err.code]!(err, config, req);
    else {
      req.log.error({ err }, 'unexpected error');
      error = new AppError('internal', [], { cause: err });
    }
    req.errorCode = error.code;
    if (error.code === 'rate_limited') void reply.header('retry-after', String(error.message.match(/(\d+) s/)?.[1] ?? 60));
    return reply.status(error.statusCode).send(error.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const error = notFound(req.method, req.url.split('?')[0]!);
    req.errorCode = error.code;
    return reply.status(404).send(error.toJSON());
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of Object.entries(opts.readiness ?? {})) {
      checks[name] = await check().catch(() => false);
    }
    // Draining for shutdown: a load balancer that checks readiness stops sending new connections
    // before the listener closes (connections still in its accept queue then would be reset).
    if (draining) checks.shutting_down = false;
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ ready, checks, ...opts.describe?.() });
  });
  return app;
}
