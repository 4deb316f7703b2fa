// What a role starts, gathered as it goes: the composition root (cli/pipeline.ts) serves it and,
// in a fixed order, stops it, also when start-up fails half-way.
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../../core/config.js';
import type { Metrics } from '../../core/metrics.js';
import type { Publisher } from '../../queue/publisher.js';
import type { ReadServerOptions } from '../../reports/read-server.js';
import type { Store } from '../../store/store.js';

export interface RoleParts {
  /** Named checks for /readyz. */
  readiness: Record<string, () => Promise<boolean>>;
  /** Closed after the consumer stops, first to last (the alert evaluator goes first). */
  closers: (() => Promise<void>)[];
  store?: Store;
  /** Where webhooks go; a role without one serves no webhook routes. */
  publisher?: Publisher;
  /** Stores and commits the current batch. */
  stopConsumer?: () => Promise<void>;
  api?: ReadServerOptions['api'];
  admin?: ReadServerOptions['admin'];
}

export interface RoleContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Set when KAFKA_BROKERS is. */
  kafka: Kafka | undefined;
  parts: RoleParts;
}

export const batchOptions = (config: Config) => ({ maxRows: config.batchMaxRows, maxWaitMs: config.batchMaxWaitMs });
