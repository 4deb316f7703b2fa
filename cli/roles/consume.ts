// `consume`: a Kafka consumer group member with the store, the read API and the alerts; its PORT
// serves health and readiness only.
import { checkTopic, startKafkaConsumer } from './kafka-queue.js';
import type { RoleContext } from './role-parts.js';
import { openStoreSide, startAlerts } from './store-side.js';

export async function startConsume(ctx: RoleContext): Promise<void> {
  const kafka = ctx.kafka!;
  const store = await openStoreSide(ctx);
  // A topic the broker refuses as configured stops start-up here; an unreachable Kafka does not:
  // the consumer keeps trying.
  await checkTopic(kafka, ctx.config.kafka!, ctx.logger);
  startKafkaConsumer({ ...ctx, kafka }, store);
  await startAlerts(ctx, store);
}
