// One place that builds kafkajs clients from configuration, routes kafkajs logs into pino,
// and creates the topic at start-up.
import kafkajs, { Kafka, logLevel, type Admin, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { tlsOptions, type KafkaSecurity } from '../core/kafka-security.js';
// Before any kafkajs connection exists: stops its negative-delay timer (see the file).
import './kafkajs-request-queue-patch.js';
// Before the first fetch: a record decoder without 64-bit arithmetic per record (see the file).
import './kafkajs-record-decoder-patch.js';

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
    ...kafkajsSecurity(config.security),
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

/** kafkajs's `ssl` and `sasl` options for the configured security. */
export function kafkajsSecurity({ tls, sasl }: KafkaSecurity): { ssl?: ReturnType<typeof tlsOptions>; sasl?: SASLOptions } {
  const out: { ssl?: ReturnType<typeof tlsOptions>; sasl?: SASLOptions } = {};
  if (tls) out.ssl = tlsOptions(tls);
  if (sasl?.mechanism === 'oauthbearer') {
    const { token } = sasl;
    out.sasl = { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token() }) };
  } else if (sasl) out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  return out;
}

// Refusals of a topic's creation that no retry can change: the settings must. Each names the
// variable to change (kafkajs reports them per topic, inside an aggregate error).
const SETTING_OF_REFUSAL: Record<string, (c: KafkaConfig) => string> = {
  INVALID_REPLICATION_FACTOR: (c) => `KAFKA_REPLICATION_FACTOR=${c.replicationFactor}`,
  INVALID_PARTITIONS: (c) => `KAFKA_PARTITIONS=${c.partitions}`,
  INVALID_TOPIC_EXCEPTION: (c) => `KAFKA_TOPIC=${c.topic}`,
  POLICY_VIOLATION: (c) => `KAFKA_TOPIC=${c.topic}`,
};

// A record's key (at most 256 characters of conversation id), its headers and the framing of a
// one-record batch, on top of the body.
const RECORD_OVERHEAD_BYTES = 1024;

/**
 * Refuses a topic that cannot take the largest body ingest accepts: such a body would be
 * answered 200 into the fallback log and then hold up forwarding for good, every later event
 * waiting behind it. The topic's limit is its max.message.bytes (the broker's default unless set).
 */
export async function checkRecordSize(admin: Admin, config: KafkaConfig): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    // ConfigResourceTypes through the default export: Node's import of kafkajs (CommonJS) does not see it by name.
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: config.topic, configNames: ['max.message.bytes'] }],
  });
  const limit = Number(described.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
  if (Number.isSafeInteger(limit) && config.maxBodyBytes + RECORD_OVERHEAD_BYTES > limit) {
    throw new AppError('config_invalid', [
      `  MAX_BODY_BYTES=${config.maxBodyBytes}: topic ${config.topic} takes records of at most ${limit} bytes (max.message.bytes), and a record is the body plus up to ${RECORD_OVERHEAD_BYTES} bytes; expected MAX_BODY_BYTES of at most ${limit - RECORD_OVERHEAD_BYTES}, or a larger max.message.bytes on the topic`,
    ]);
  }
}

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
    throw new AppError(
      'config_invalid',
      [`  ${SETTING_OF_REFUSAL[refusal.type]!(config)}: the Kafka broker refused to create topic ${config.topic}: ${refusal.message} (${refusal.type}); expected settings this cluster accepts`],
      { cause: err },
    );
  }
}
