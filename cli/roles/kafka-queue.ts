// The Kafka queue (KAFKA_BROKERS set): the receiver's publisher with its local fallback log, and
// the consumer group member, which joins in the background while Kafka is unreachable.
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../../core/config.js';
import { isAppError } from '../../core/errors.js';
import { retryUntilDone } from '../../core/retry.js';
import { withTimeout } from '../../core/with-timeout.js';
import { KafkaReplyConsumer } from '../../consumer/kafka-consumer.js';
import { KafkaPublisher } from '../../queue/kafka-publisher.js';
import { prepareTopic } from '../../queue/kafka-topic.js';
import type { Store } from '../../store/store.js';
import { openLog } from './open-log.js';
import { batchOptions, type RoleContext } from './role-parts.js';

const TOPIC_CHECK_MS = 10_000;

export async function startKafkaPublisher({ config, logger, metrics, kafka, parts }: RoleContext & { kafka: Kafka }): Promise<void> {
  const fallback = await openLog(path.join(config.dataDir, 'kafka-fallback'), logger);
  // Registered as soon as it is open, so that a failure further on still closes it.
  parts.closers.push(() => fallback.close());
  if (fallback.backlog > 0) logger.info({ backlog: fallback.backlog }, 'forwarding events left in the local fallback log');
  const publisher = new KafkaPublisher(kafka, config.kafka!, fallback, logger, metrics);
  await publisher.start();
  parts.publisher = publisher;
}

/**
 * Joins the consumer group in the background, retrying while Kafka is unreachable or refuses;
 * stopping the consumer also stops the retries.
 */
export function startKafkaConsumer({ config, logger, metrics, kafka, parts }: RoleContext & { kafka: Kafka }, store: Store): void {
  const consumer = new KafkaReplyConsumer({ kafka, config: config.kafka!, store, ...batchOptions(config), logger, metrics });
  parts.readiness.consumer = async () => consumer.ready;
  const stop = new AbortController();
  const joining = retryUntilDone(
    async () => {
      await consumer.start();
      // A join under way when the stop came: leave the group again.
      if (stop.signal.aborted) await consumer.stop();
    },
    {
      signal: stop.signal,
      initialDelayMs: 500,
      maxDelayMs: 10_000,
      onError: (err) => {
        if (isAppError(err, 'config_invalid')) logger.error({ err: err.message }, 'Kafka refuses the settings (topic, credentials or TLS); retrying until they are fixed');
        else logger.warn({ err: (err as Error).message }, 'could not join the Kafka consumer group; retrying');
      },
    },
  ).catch(() => logger.info('stopped trying to join the Kafka consumer group'));
  parts.stopConsumer = async () => {
    stop.abort();
    await consumer.stop();
    await joining;
  };
}

/** Creates the topic now if Kafka answers; throws only if it refuses the topic as configured. */
export async function checkTopic(kafka: Kafka, config: KafkaConfig, logger: Logger): Promise<void> {
  try {
    await withTimeout(prepareTopic(kafka, config), TOPIC_CHECK_MS, 'creating the Kafka topic');
  } catch (err) {
    if (isAppError(err, 'config_invalid')) throw err;
    logger.warn({ err: (err as Error).message }, 'Kafka is not reachable at start-up; the consumer keeps trying');
  }
}
