// The whole pipeline in one process on embedded parts: HTTP receiver -> embedded durable log
// -> consumer -> chDB, plus the read-only query API. `npm start` runs this.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { createMetrics } from '../core/metrics.js';
import { findRunningServer, queryToken, removeServerInfo, writeServerInfo } from '../core/run-files.js';
import { AppError } from '../core/errors.js';
import { EmbeddedConsumer } from '../consumer/embedded-consumer.js';
import { buildApp } from '../ingest/app.js';
import { EmbeddedLog } from '../queue/embedded-log.js';
import { embeddedQueueName } from '../queue/log-identity.js';
import { embeddedPublisher } from '../queue/publisher.js';
import { queryRoutes } from '../reports/query-route.js';
import { ChdbStore } from '../store/chdb-store.js';

export interface RunningPipeline {
  url: string;
  app: FastifyInstance;
  stop(): Promise<void>;
}

export async function startEmbeddedPipeline(config: Config, logger: Logger): Promise<RunningPipeline> {
  const holder = await findRunningServer(config.dataDir);
  if (holder) throw new AppError('data_dir_locked', [config.dataDir, holder.pid]);
  if (config.unsignedMode) {
    logger.warn('No WEBHOOK_SECRET or WEBHOOK_AGENTS configured: accepting UNSIGNED webhooks for any agent (stored as signature_status = unsigned). Set a secret for production.');
  }

  const metrics = createMetrics();
  const store = await ChdbStore.open(config.dataDir);
  const applied = await store.migrate();
  if (applied.length > 0) logger.info({ applied }, 'schema migrations applied');

  const logDir = path.join(config.dataDir, 'queue');
  const log = await EmbeddedLog.open({ dir: logDir });
  if (log.backlog > 0) logger.info({ backlog: log.backlog }, 'resuming events not yet stored');
  metrics.queueBacklog.set(log.backlog);
  const consumer = new EmbeddedConsumer({
    log,
    queueName: await embeddedQueueName(logDir),
    store,
    metrics,
    maxRows: config.batchMaxRows,
    maxWaitMs: config.batchMaxWaitMs,
    onError: (err) => logger.error({ err }, 'storing a batch failed; retrying'),
  });
  consumer.start();

  const publisher = embeddedPublisher(log);
  const token = await queryToken(config.dataDir, config.queryToken);
  const app = await buildApp({
    config,
    publisher,
    metrics,
    loggerInstance: logger,
    readiness: { store: async () => (await store.ping(), true) },
    plugins: [async (instance) => instance.register(queryRoutes, { store, token })],
  });
  const address = await app.listen({ port: config.port, host: config.host });
  const port = Number(new URL(address).port);
  const localHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${localHost.includes(':') ? `[${localHost}]` : localHost}:${port}`;
  await writeServerInfo(config.dataDir, { pid: process.pid, url, startedAt: new Date().toISOString() });
  logger.info({ url, dataDir: config.dataDir }, 'pipeline ready: POST /webhook, GET /readyz, GET /metrics, POST /api/query');

  let stopping: Promise<void> | undefined;
  return {
    url,
    app,
    stop: () =>
      (stopping ??= (async () => {
        await app.close(); // stop accepting, finish in-flight requests
        await publisher.close();
        await consumer.stop(); // store and commit the current batch
        await log.close();
        await store.close();
        await removeServerInfo(config.dataDir);
      })()),
  };
}
