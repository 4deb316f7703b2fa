// A KafkaPublisher with a fallback log of its own under `dir`, for tests on the real broker. Its
// closing (publisher, then log) is pushed onto the test file's `cleanups`.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../../core/config.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { createKafka } from '../../queue/kafka-client.js';
import { KafkaPublisher } from '../../queue/kafka-publisher.js';

export async function openPublisher(dir: string, config: KafkaConfig, logger: Logger, cleanups: (() => Promise<void>)[]): Promise<{ p: KafkaPublisher; fallback: EmbeddedLog }> {
  const fallback = await EmbeddedLog.open({ dir: path.join(dir, `fallback-${randomUUID()}`) });
  const p = new KafkaPublisher(createKafka(config, logger), config, fallback, logger);
  await p.start();
  cleanups.push(async () => {
    await p.close();
    await fallback.close();
  });
  return { p, fallback };
}
