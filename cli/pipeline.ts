// The composition root: wires the rooms together for one process.
//   role 'all'     `start`: receiver + queue + consumer + store + query API in one process
//   role 'ingest'  `ingest`: receiver publishing to Kafka (stateless apart from its fallback log)
//   role 'consume' `consume`: Kafka consumer group member + store + query API
// The query API and /metrics listen on QUERY_HOST:QUERY_PORT (reports/read-server.ts), never
// on the receiver's PORT; a receiver-only process serves /metrics there alone.
// The queue is Kafka when KAFKA_BROKERS is set and the embedded log otherwise; nothing outside
// this file, queue/ and store/ knows which.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { startAlertEvaluator } from '../alerts/evaluator.js';
import { assertReceiverSecured, type Config, type KafkaConfig } from '../core/config.js';
import { AppError, isAppError } from '../core/errors.js';
import { createMetrics } from '../core/metrics.js';
import { adminToken, lockDataDir, queryToken, removeServerInfo, writeServerInfo, type RunRole } from '../core/run-files.js';
import { BackgroundConsumer } from '../consumer/background-consumer.js';
import { KafkaReplyConsumer } from '../consumer/kafka-consumer.js';
import { buildApp } from '../ingest/app.js';
import { EmbeddedLog } from '../queue/embedded-log.js';
import { createKafka } from '../queue/kafka-client.js';
import { KafkaPublisher, prepareTopic, withTimeout } from '../queue/kafka-publisher.js';
import { embeddedQueueName } from '../queue/log-identity.js';
import { embeddedPublisher, type Publisher } from '../queue/publisher.js';
import { liveRoutes } from '../live/live-routes.js';
import { buildReadServer, type ReadServerOptions } from '../reports/read-server.js';
import { dataOps } from './data-ops.js';
import { clusterRunner } from '../store/cluster-ddl.js';
import { openStore } from '../store/open-store.js';
import { applyRetention } from '../store/retention.js';
import type { Store } from '../store/store.js';

export type Role = 'all' | 'ingest' | 'consume';

// Why the receiver could not listen, for the errors that a setting causes.
const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EADDRNOTAVAIL: 'is not an address of this machine',
  ENOTFOUND: 'names a host that does not resolve',
  EAI_AGAIN: 'names a host that does not resolve (yet)',
  EACCES: 'needs privileges this user lacks (ports below 1024)',
};

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
  const closers: (() => Promise<void>)[] = [];
  const readiness: Record<string, () => Promise<boolean>> = {};
  let api: ReadServerOptions['api'];
  let admin: ReadServerOptions['admin'];
  let readServer: FastifyInstance | undefined;
  let store: Store | undefined;
  let publisher: Publisher | undefined;
  let consumerStop: (() => Promise<void>) | undefined;
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
    await publisher?.close(); // flush the producer
    await consumerStop?.(); // store and commit the current batch
    for (const close of closers) await close();
    await store?.close();
    await removeServerInfo(config.dataDir, runRole);
    await unlock();
  };

  let url: string;
  let queryUrl: string;
  try {
    // Store and consumer side.
    if (role !== 'ingest') {
      store = await openStore(config, () => logger.warn({ dataDir: config.dataDir }, 'another process (a sql or report command?) has the chDB directory open: waiting up to 30 s for it'));
      const applied = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'schema migrations applied');
      const s = store;
      readiness.store = async () => (await s.ping(), true);
      const retention = await applyRetention(
        clusterRunner(async (sql) => (await s.query(sql, { format: 'TSVRaw' })).toString('utf8'), config.clickhouse?.cluster),
        config.retention,
      );
      if (retention.length > 0) logger.info({ retention }, 'retention settings applied');
      admin = { token: await adminToken(config.dataDir, config.adminToken), ops: dataOps(s, config.dataDir) };
      const token = await queryToken(config.dataDir, config.queryToken);
      api = { store: s, token, scratchDir: path.join(config.dataDir, 'run'), openExportStore: () => openStore(config, undefined, config.query) };
      // The live dashboards on the same listener (README, "Live dashboards").
      api.routes = async (app, slots) => void (await app.register(liveRoutes, { store: s, token, limits: config.query, slots }));
    }

    // Queue and ingest side.
    const batch = { maxRows: config.batchMaxRows, maxWaitMs: config.batchMaxWaitMs };
    if (config.kafka && kafka) {
      if (role !== 'consume') {
        const fallback = await openLog(path.join(config.dataDir, 'kafka-fallback'), logger);
        // Registered as soon as it is open, so that a failure further on still closes it.
        closers.push(() => fallback.close());
        if (fallback.backlog > 0) logger.info({ backlog: fallback.backlog }, 'forwarding events left in the local fallback log');
        const kp = new KafkaPublisher(kafka, config.kafka, fallback, logger, metrics);
        await kp.start();
        publisher = kp;
      }
      if (store) {
        // A topic the broker refuses as configured stops start-up here (the receiver's start
        // above checked it for `start`); an unreachable Kafka does not: the consumer keeps trying.
        if (role === 'consume') await checkTopic(kafka, config.kafka, logger);
        const consumer = new KafkaReplyConsumer({ kafka, config: config.kafka, store, ...batch, logger, metrics });
        readiness.consumer = async () => consumer.ready;
        void startWithRetry(() => consumer.start(), logger);
        consumerStop = () => consumer.stop();
      }
    } else if (store) {
      const logDir = path.join(config.dataDir, 'queue');
      const log = await openLog(logDir, logger);
      closers.push(() => log.close());
      if (log.backlog > 0) logger.info({ backlog: log.backlog }, 'resuming events not yet stored');
      metrics.queueBacklog.set(log.backlog);
      // The consumer runs on a thread of its own (see consumer/background-consumer.ts).
      const consumer = await BackgroundConsumer.start({
        log,
        store: { dataDir: config.dataDir, clickhouse: config.clickhouse },
        queueName: await embeddedQueueName(logDir),
        ...batch,
        metrics,
        onError: (err) => logger.error({ err }, 'the consumer failed'),
      });
      readiness.consumer = async () => consumer.healthy;
      publisher = embeddedPublisher(log);
      consumerStop = () => consumer.stop();
    }

    // Alert rules against the store, stopped before it closes (README, "Alerts").
    if (store && config.alerts.intervalSeconds > 0) {
      const alerts = await startAlertEvaluator({ store, config: config.alerts, dataDir: config.dataDir, logger, metrics });
      closers.unshift(() => alerts.stop());
    }

    app = await buildApp({ config, publisher, metrics, loggerInstance: logger, readiness });
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

/** Listens, turning the errors a setting causes into config_invalid naming the settings. */
async function listen(server: FastifyInstance, port: number, host: string, settings: string): Promise<string> {
  return server.listen({ port, host }).catch((err: NodeJS.ErrnoException) => {
    const problem = LISTEN_PROBLEMS[err.code ?? ''];
    if (!problem) throw err;
    const zero = settings.split('/')[0];
    throw new AppError('config_invalid', [`  ${settings}: ${host}:${port} ${problem}; expected a free port on a local address (${zero}=0 picks one)`], { cause: err });
  });
}

/** The base URL this machine reaches a listener on (a wildcard address becomes loopback). */
function localUrl(address: string, host: string): string {
  const port = Number(new URL(address).port);
  const localHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${localHost.includes(':') ? `[${localHost}]` : localHost}:${port}`;
}

/** Opens an embedded log, saying what recovery cleared and when the log stops taking events. */
async function openLog(dir: string, logger: Logger): Promise<EmbeddedLog> {
  const log = await EmbeddedLog.open({
    dir,
    onFailure: (err) => logger.error({ err, dir }, 'the local log could not be written: every new event is refused (503) until the disk takes writes again (a full disk?); retrying on its own'),
    onRecovered: () => logger.warn({ dir }, 'the local log is writable again: events are accepted'),
  });
  if (log.recovered) {
    logger.warn({ ...log.recovered, dir }, 'cleared the end of the newest log segment, which a crash left half written (never acknowledged)');
  }
  return log;
}

const TOPIC_CHECK_MS = 10_000;
/** How long answers close their connections before the receiver stops listening (see teardown). */
const DRAIN_MS = 1_000;

/** Creates the topic now if Kafka answers; throws only if it refuses the topic as configured. */
async function checkTopic(kafka: Kafka, config: KafkaConfig, logger: Logger): Promise<void> {
  try {
    await withTimeout(prepareTopic(kafka, config), TOPIC_CHECK_MS, 'creating the Kafka topic');
  } catch (err) {
    if (isAppError(err, 'config_invalid')) throw err;
    logger.warn({ err: (err as Error).message }, 'Kafka is not reachable at start-up; the consumer keeps trying');
  }
}

/** Joins the consumer group in the background, retrying while Kafka is unreachable. */
async function startWithRetry(start: () => Promise<void>, logger: Logger): Promise<void> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await start();
    } catch (err) {
      if (isAppError(err, 'config_invalid')) logger.error({ err: err.message }, 'Kafka refuses the settings (topic, credentials or TLS); retrying until they are fixed');
      else logger.warn({ err: (err as Error).message }, 'could not join the Kafka consumer group; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
