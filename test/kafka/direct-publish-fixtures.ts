// What the direct-publishing tests share: the project's broker, a fresh topic per test, a
// temporary directory for fallback logs, publishers closed after the file, and a timer count.
import { createHook } from 'node:async_hooks';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import type { KafkaConfig } from '../../core/config.js';
import { openPublisher } from '../helpers/kafka-publisher.js';
import { freshTopicConfig } from '../helpers/kafka-topic.js';
import { tempDir } from '../helpers/temp-dir.js';

export const brokers = inject('kafkaBrokers').split(',');
export const logger = pino({ level: 'silent' });
export const kafka = new Kafka({ clientId: 'direct-test', brokers, logLevel: logLevel.NOTHING });

export const kafkaConfig = () => freshTopicConfig(brokers, 5, 'direct-test');

/** Timers created in this process during `ms` of idling. */
export async function timersWhileIdle(ms: number): Promise<number> {
  let timers = 0;
  const hook = createHook({ init: (_id, type) => void (type === 'Timeout' && timers++) }).enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  hook.disable();
  return timers;
}

/** For a describe block: its temporary directory, what to close after it, and publishers with a fallback log under it. */
export function directPublishSetup() {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const dir = {
    get path() {
      return tmp.path;
    },
  };
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await tmp.remove();
  });
  const publisher = (config: KafkaConfig) => openPublisher(dir.path, config, logger, cleanups);
  return { dir, cleanups, publisher };
}
