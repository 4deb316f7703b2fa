// One place that builds kafkajs clients from configuration, routes kafkajs logs into pino,
// and creates the topic at start-up.
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';

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

// Refusals of a topic's creation that no retry can change: the settings must. Each names the
// variable to change (kafkajs reports them per topic, inside an aggregate error).
const SETTING_OF_REFUSAL: Record<string, (c: KafkaConfig) => string> = {
  INVALID_REPLICATION_FACTOR: (c) => `KAFKA_REPLICATION_FACTOR=${c.replicationFactor}`,
  INVALID_PARTITIONS: (c) => `KAFKA_PARTITIONS=${c.partitions}`,
  INVALID_TOPIC_EXCEPTION: (c) => `KAFKA_TOPIC=${c.topic}`,
  POLICY_VIOLATION: (c) => `KAFKA_TOPIC=${c.topic}`,
};

/**
 * Creates the topic if it does not exist; an existing topic is left as it is. A broker that
 * refuses the topic as configured is a config_invalid naming the setting, not a Kafka outage.
 */
export async function ensureTopic(admin: Admin, config: KafkaConfig): Promise<void> {
  const existing = await admin.listTopics();
  if (existing.includes(config.topic)) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: config.topic, numPartitions: config.partitions, replicationFactor: config.replicationFactor }],
    });
  } catch (err) {
    const refusal = ((err as { errors?: unknown[] }).errors ?? [err]).find((e) => (e as { type?: string }).type! in SETTING_OF_REFUSAL) as { type: string; message: string } | undefined;
    if (!refusal) throw err;
    throw new AppError('config_invalid', [`  ${SETTING_OF_REFUSAL[refusal.type]!(config)}: the Kafka broker refused to create topic ${config.topic}: ${refusal.message} (${refusal.type}); expected settings this cluster accepts`], { cause: err });
  }
}
