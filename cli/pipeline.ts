// The composition root: starts one role (cli/roles/), then serves and stops what it started.
//   role 'all'     `start`: receiver + queue + consumer + store + query API in one process
//   role 'ingest'  `ingest`: receiver publishing to Kafka (stateless apart from its fallback log)
//   role 'consume' `consume`: Kafka consumer group member + store + query API
// The query API and /metrics listen on QUERY_HOST:QUERY_PORT (reports/read-server.ts), never
// on the receiver's PORT; a receiver-only process serves /metrics there alone.
// The queue is Kafka when KAFKA_BROKERS is set and the embedded log otherwise; nothing outside
// cli/, queue/ and store/ knows which.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { assertReceiverSecured, type Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { createMetrics } from '../core/metrics.js';
import { lockDataDir, removeServerInfo, writeServerInfo, type RunRole } from '../core/run-files.js';
import { buildBaseApp } from '../http/base-app.js';
import { buildApp } from '../ingest/app.js';
import { createKafka } from '../queue/kafka-client.js';
import { buildReadServer } from '../reports/read-server.js';
import { startConsume } from './roles/consume.js';
import { startIngest } from './roles/ingest.js';
import { listen, localUrl } from './roles/listen.js';
import type { RoleContext, RoleParts } from './roles/role-parts.js';
import { startAll } from './roles/start.js';

export type Role = 'all' | 'ingest' | 'consume';

const ROLES: Record<Role, (ctx: RoleContext) => Promise<void>> = { all: startAll, ingest: startIngest, consume: startConsume };

/** How long answers close their connections before the receiver stops listening (see teardown). */
const DRAIN_MS = 1_000;

export interface RunningPipeline {
  url: string;
  /** Base URL of the read API and /metrics. */
  queryUrl: string;
  app: FastifyInstance;
  stop(): Promise<void>;
}

export async function startPipeline(config: Config, logger: Logger, role: Role): Promise<RunningPipeline> {
  const runRole: RunRole = role === 'ingest' ? 'ingest' : 'server';
  if (role !== 'all' && !config.kafka) {
    throw new AppError('config_invalid', [`  KAFKA_BROKERS: expected to be set for \`${role}\` (without Kafka, \`start\` runs everything in one process)`]);
  }
  if (role !== 'consume') assertReceiverSecured(config);
  const unlock = await lockDataDir(config.dataDir, runRole);
  if (role !== 'consume' && config.unsignedMode) {
    logger.warn('ALLOW_UNSIGNED=true: accepting UNSIGNED webhooks from anyone for any agent (stored as signature_status = unsigned). Set a secret for production.');
  }
  const metrics = createMetrics();
  const kafka = config.kafka ? createKafka(config.kafka, logger) : undefined;
  const parts: RoleParts = { readiness: {}, closers: [] };
  let readServer: FastifyInstance | undefined;
  let app: FastifyInstance | undefined;
  let listening = false;
  // Undoes whatever was started, in reverse order of need; also when start-up fails half-way
  // (a port in use, say), so that the consumer thread and the files are released and the
  // process can exit with the error.
  const teardown = async () => {
    if (listening && app) {
      // Answers close their connections for a moment before the server stops listening: a
      // client mid-request on an idle keep-alive connection that close() cut would get a reset,
      // and Aksita does not retry.
      app.drain();
      await sleep(DRAIN_MS);
    }
    await app?.close(); // stop accepting, finish in-flight requests
    await readServer?.close(); // cuts running queries, which the engine then stops
    await parts.publisher?.close(); // flush the producer
    await parts.stopConsumer?.(); // store and commit the current batch
    for (const close of parts.closers) await close();
    await parts.store?.close();
    await removeServerInfo(config.dataDir, runRole);
    await unlock();
  };

  let url: string;
  let queryUrl: string;
  try {
    await ROLES[role]({ config, logger, metrics, kafka, parts });
    const { publisher, readiness, api, admin } = parts;
    app = publisher ? await buildApp({ config, publisher, metrics, loggerInstance: logger, readiness }) : buildBaseApp({ config, metrics, loggerInstance: logger, readiness });
    const address = await listen(app, config.port, config.host, 'PORT/HOST');
    listening = true;
    url = localUrl(address, config.host);
    readServer = await buildReadServer({ query: config.query, metrics, loggerInstance: logger, ...(api ? { api } : {}), ...(admin ? { admin } : {}) });
    queryUrl = localUrl(await listen(readServer, config.query.port, config.query.host, 'QUERY_PORT/QUERY_HOST'), config.query.host);
    await writeServerInfo(
      config.dataDir,
      { pid: process.pid, url, queryUrl, startedAt: new Date().toISOString(), queryTokenFrom: config.queryToken ? 'QUERY_TOKEN' : 'file', adminTokenFrom: config.adminToken ? 'ADMIN_TOKEN' : 'file' },
      runRole,
    );
  } catch (err) {
    await teardown().catch((cleanupErr: unknown) => logger.error({ err: cleanupErr }, 'could not release everything after a failed start'));
    throw err;
  }
  logger.info({ url, queryUrl, role, queue: config.kafka ? `kafka ${config.kafka.topic}` : 'embedded log', dataDir: config.dataDir }, 'pipeline ready');

  let stopping: Promise<void> | undefined;
  const running = app;
  return {
    url,
    queryUrl,
    app: running,
    stop: () => (stopping ??= teardown()),
  };
}
