// `ingest`: a receiver publishing to Kafka, stateless apart from its local fallback log.
import { startKafkaPublisher } from './kafka-queue.js';
import type { RoleContext } from './role-parts.js';

export async function startIngest(ctx: RoleContext): Promise<void> {
  await startKafkaPublisher({ ...ctx, kafka: ctx.kafka! });
}
