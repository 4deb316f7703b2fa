// One place that builds kafkajs clients from configuration, routes kafkajs logs into pino,
// and creates the topic at start-up.
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(config: KafkaConfig, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    // Fail fast: ingest has its own time budget and fallback; the consumer retries itself.
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
    // kafkajs logs retriable conditions (a broker going away) as errors; they are warnings
    // here because the pipeline handles them, and real failures surface through our own logs.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] === 'error' ? 'warn' : (LEVELS[level] ?? 'info')](rest, message);
      },
  });
}

/** Creates the topic if it does not exist; an existing topic is left as it is. */
export async function ensureTopic(admin: Admin, config: KafkaConfig): Promise<void> {
  const existing = await admin.listTopics();
  if (existing.includes(config.topic)) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: config.topic, numPartitions: config.partitions, replicationFactor: config.replicationFactor }],
  });
}
