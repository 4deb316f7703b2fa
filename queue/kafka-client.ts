// One place that builds kafkajs clients from configuration and routes kafkajs logs into pino
// (the topic: kafka-topic.ts).
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
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
