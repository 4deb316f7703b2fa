// Child process (chDB opens one data directory per process): fills a queue, then times the
// real consumer draining it into chDB with the default batch settings, or times the raw
// insert ceiling for the same rows. Prints one JSON line.
import path from 'node:path';
import { Session } from 'chdb';
import pino from 'pino';
import { loadConfig, type KafkaConfig } from '../core/config.js';
import { BackgroundConsumer } from '../consumer/background-consumer.js';
import { KafkaReplyConsumer } from '../consumer/kafka-consumer.js';
import { toRow } from '../consumer/to-row.js';
import { EmbeddedLog } from '../queue/embedded-log.js';
import type { Envelope, QueuedEnvelope } from '../queue/envelope.js';
import { createKafka } from '../queue/kafka-client.js';
import { toKafkaMessage } from '../queue/kafka-message.js';
import { prepareTopic } from '../queue/kafka-topic.js';
import { embeddedQueueName } from '../queue/log-identity.js';
import { ChdbStore } from '../store/chdb-store.js';
import { REPLIES_TABLE } from '../store/migrations.js';
import type { ReplyRow } from '../store/store.js';
import { signedPool } from './payloads.js';

export interface ConsumerJob {
  /** kafka_sasl_ssl: as kafka, with `kafkaEnv` naming the SASL_SSL listener and its credentials. */
  mode: 'embedded' | 'kafka' | 'kafka_sasl_ssl' | 'raw';
  dataDir: string;
  rows: number;
  prefix: string;
  brokers?: string[];
  /** KAFKA_* variables (KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_*) over `brokers`, as a process would be configured. */
  kafkaEnv?: Record<string, string>;
}

export interface ConsumerResult {
  rows: number;
  /** Rows in the table afterwards: the drain is only counted when nothing was lost or doubled. */
  stored: number;
  /** Rows over the whole drain: from the consumer's start (embedded) or group join (Kafka) to the last row. */
  rowsPerS: number;
  /**
   * Embedded only: the rows of batches 2..N over the time from batch 1 being stored to batch N,
   * the rate of the pipeline once it runs (one batch converted while the previous one is
   * inserted). Before batch 1 the consumer's thread also starts, loads its modules and opens
   * its chDB sessions, about 0.4 s: a quarter of a 100,000-row drain. Not given for Kafka: its
   * first fetch decodes up to 4 MB of every partition before batch 1 is stored, so the time
   * after batch 1 would leave that work out.
   */
  steadyRowsPerS?: number;
  /** Kafka: CPU of this process (every thread, the engine's included) a row, from the group join to the last row; raw: the inserts' CPU a row. */
  cpuUsPerRow?: number;
  /** raw only: rows/s including building the JSONEachRow text from envelopes. */
  withJsonRowsPerS?: number;
}

const RAW_BATCH = 100_000;
const job = JSON.parse(process.argv[2]!) as ConsumerJob;
const defaults = loadConfig({ DATA_DIR: job.dataDir });
const receivedAtMs = Date.now();
const envelopes: Envelope[] = signedPool({ prefix: job.prefix }, job.rows).map((r) => ({
  body: r.body,
  key: (JSON.parse(r.body.toString()) as { conversation_id: string }).conversation_id,
  agent: 'default',
  receivedAtMs,
  signature: 'valid',
}));

/**
 * Lets the queue's copies go once the queue holds them: a consumer process holds no such array,
 * and hundreds of thousands of live objects would make each of its major collections mark them.
 */
function dropEnvelopes(): void {
  envelopes.length = 0;
}

/** Counts stored rows as batches report them; resolves with both rates (see ConsumerResult) once `total` are in. */
function drainClock(total: number): { onBatch: (rows: number) => void; done: Promise<{ rowsPerS: number; steadyRowsPerS: number }>; start: () => void } {
  let startedAt = 0;
  let first: { at: number; rows: number } | undefined;
  let stored = 0;
  let finish!: (rates: { rowsPerS: number; steadyRowsPerS: number }) => void;
  const done = new Promise<{ rowsPerS: number; steadyRowsPerS: number }>((resolve) => (finish = resolve));
  return {
    start: () => (startedAt ||= performance.now()),
    done,
    onBatch: (rows) => {
      const now = performance.now();
      stored += rows;
      first ??= { at: now, rows };
      if (stored < total) return;
      finish({
        rowsPerS: (total * 1000) / (now - startedAt),
        // A drain that fits one batch has no steady part: its whole rate stands for it.
        steadyRowsPerS: stored > first.rows ? ((stored - first.rows) * 1000) / (now - first.at) : (total * 1000) / (now - startedAt),
      });
    },
  };
}

async function count(store: ChdbStore): Promise<number> {
  return Number((await store.query(`SELECT count() FROM ${REPLIES_TABLE}`, { format: 'TSV' })).toString().trim());
}

async function embedded(): Promise<ConsumerResult> {
  const logDir = path.join(job.dataDir, 'queue');
  const log = await EmbeddedLog.open({ dir: logDir });
  for (let i = 0; i < envelopes.length; i += 5_000) await Promise.all(envelopes.slice(i, i + 5_000).map((e) => log.append(e)));
  dropEnvelopes();
  const store = await ChdbStore.open(job.dataDir);
  await store.migrate();
  const clock = drainClock(job.rows);
  // As `npm start` runs it: on its own thread (consumer/background-consumer.ts).
  clock.start();
  const consumer = await BackgroundConsumer.start({
    log,
    store: { dataDir: job.dataDir, clickhouse: undefined },
    queueName: await embeddedQueueName(logDir),
    maxRows: defaults.batchMaxRows,
    maxWaitMs: defaults.batchMaxWaitMs,
    onError: (err) => console.error(err),
    onBatch: clock.onBatch,
  });
  const rates = await clock.done;
  await consumer.stop();
  await log.close();
  const result = { rows: job.rows, stored: await count(store), ...rates };
  await store.close();
  return result;
}

async function kafka(): Promise<ConsumerResult> {
  const env = loadConfig({ ...(job.brokers && { KAFKA_BROKERS: job.brokers.join(',') }), ...job.kafkaEnv, DATA_DIR: job.dataDir });
  const config: KafkaConfig = { ...env.kafka!, topic: `bench-${job.prefix}`, groupId: `bench-${job.prefix}` };
  // The consumer logs when it joins its group: that is when the timing starts.
  const clock = drainClock(job.rows);
  let cpuAtJoin: NodeJS.CpuUsage | undefined;
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void (line.includes('joined the consumer group') ? (clock.start(), (cpuAtJoin ??= process.cpuUsage())) : line.includes('"level":50') && process.stderr.write(line)) },
  );
  const client = createKafka(config, logger);
  await prepareTopic(client, config);
  const producer = client.producer();
  await producer.connect();
  for (let i = 0; i < envelopes.length; i += 10_000) {
    await producer.send({ topic: config.topic, acks: -1, messages: envelopes.slice(i, i + 10_000).map(toKafkaMessage) });
  }
  await producer.disconnect();
  dropEnvelopes();
  const store = await ChdbStore.open(job.dataDir);
  await store.migrate();
  const consumer = new KafkaReplyConsumer({
    kafka: client,
    config,
    store,
    maxRows: defaults.batchMaxRows,
    maxWaitMs: defaults.batchMaxWaitMs,
    logger,
    onBatch: (_partition, rows) => clock.onBatch(rows),
  });
  await consumer.start();
  const { rowsPerS } = await clock.done;
  const cpu = process.cpuUsage(cpuAtJoin);
  await consumer.stop();
  const result = { rows: job.rows, stored: await count(store), rowsPerS, cpuUsPerRow: (cpu.user + cpu.system) / job.rows };
  await store.close();
  return result;
}

/** The baseline format: one JSON object per line (the consumer itself inserts TabSeparated). */
const jsonEachRow = (rows: readonly ReplyRow[]): Buffer => Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');

/** The ceiling: the same rows as JSONEachRow, in large batches, straight into the table. */
async function raw(): Promise<ConsumerResult> {
  const store = await ChdbStore.open(job.dataDir);
  await store.migrate();
  await store.close();
  let t = performance.now();
  const batches: { rows: ReplyRow[]; text: Buffer }[] = [];
  for (let i = 0; i < envelopes.length; i += RAW_BATCH) {
    const rows = envelopes.slice(i, i + RAW_BATCH).flatMap((envelope, j): ReplyRow[] => {
      const item: QueuedEnvelope = { envelope, partition: 0, offset: i + j };
      const converted = toRow(item, 'bench-raw');
      return converted.kind === 'reply' ? [converted.row] : [];
    });
    batches.push({ rows, text: jsonEachRow(rows) });
  }
  const buildSeconds = (performance.now() - t) / 1000;
  const session = new Session(path.join(job.dataDir, 'chdb'));
  t = performance.now();
  const cpuBefore = process.cpuUsage();
  for (const [i, b] of batches.entries()) {
    await session.insert({ table: REPLIES_TABLE, values: b.text, format: 'JSONEachRow', columns: Object.keys(b.rows[0]!), settings: { insert_deduplication_token: `raw-${i}` } });
  }
  const seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const stored = Number((await session.queryAsync(`SELECT count() FROM ${REPLIES_TABLE}`, { format: 'TSV' })).text().trim());
  session.close();
  return { rows: job.rows, stored, rowsPerS: job.rows / seconds, withJsonRowsPerS: job.rows / (seconds + buildSeconds), cpuUsPerRow: (cpu.user + cpu.system) / job.rows };
}

const run = { embedded, kafka, kafka_sasl_ssl: kafka, raw }[job.mode];
process.stdout.write(`${JSON.stringify(await run())}\n`);
process.exit(0);
