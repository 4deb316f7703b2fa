// `start`: receiver, queue, consumer, store and read API in one process; the queue is Kafka
// when KAFKA_BROKERS is set and the embedded log otherwise.
import { startEmbeddedQueue } from './embedded-queue.js';
import { startKafkaConsumer, startKafkaPublisher } from './kafka-queue.js';
import type { RoleContext } from './role-parts.js';
import { openStoreSide, startAlerts } from './store-side.js';

export async function startAll(ctx: RoleContext): Promise<void> {
  const store = await openStoreSide(ctx);
  if (ctx.kafka) {
    // The publisher's start has checked the topic: a refused one stops start-up there.
    await startKafkaPublisher({ ...ctx, kafka: ctx.kafka });
    startKafkaConsumer({ ...ctx, kafka: ctx.kafka }, store);
  } else {
    await startEmbeddedQueue(ctx);
  }
  await startAlerts(ctx, store);
}
