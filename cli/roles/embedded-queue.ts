// The embedded queue (no KAFKA_BROKERS): a durable log under DATA_DIR/queue, published to by the
// receiver and read by a consumer on a thread of its own (consumer/background-consumer.ts).
import path from 'node:path';
import { BackgroundConsumer } from '../../consumer/background-consumer.js';
import { embeddedQueueName } from '../../queue/log-identity.js';
import { embeddedPublisher } from '../../queue/publisher.js';
import { openLog } from './open-log.js';
import { batchOptions, type RoleContext } from './role-parts.js';

export async function startEmbeddedQueue({ config, logger, metrics, parts }: RoleContext): Promise<void> {
  const logDir = path.join(config.dataDir, 'queue');
  const log = await openLog(logDir, logger);
  parts.closers.push(() => log.close());
  if (log.backlog > 0) logger.info({ backlog: log.backlog }, 'resuming events not yet stored');
  metrics.queueBacklog.set(log.backlog);
  const consumer = await BackgroundConsumer.start({
    log,
    store: { dataDir: config.dataDir, clickhouse: config.clickhouse },
    queueName: await embeddedQueueName(logDir),
    ...batchOptions(config),
    metrics,
    onError: (err) => logger.error({ err }, 'the consumer failed'),
  });
  parts.readiness.consumer = async () => consumer.healthy;
  parts.publisher = embeddedPublisher(log);
  parts.stopConsumer = () => consumer.stop();
}
