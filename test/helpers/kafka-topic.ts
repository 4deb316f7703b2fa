// A topic of its own for each Kafka test, and the whole of it read back with a plain kafkajs
// consumer: an oracle independent of the code under test.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaConfig as KafkajsConfig, type KafkaMessage } from 'kafkajs';
import type { KafkaConfig } from '../../core/config.js';
import { waitFor } from './pipeline-process.js';

/** A fresh topic and consumer group on `brokers`. */
export function freshTopicConfig(brokers: string[], partitions: number, clientId: string): KafkaConfig {
  const id = randomUUID();
  return {
    brokers,
    topic: `t-${id}`,
    partitions,
    replicationFactor: 1,
    groupId: `g-${id}`,
    clientId,
    publishTimeoutMs: 2_000,
    maxBodyBytes: 256 * 1024,
    security: { tls: undefined, sasl: undefined },
  };
}

/** Every message of `topic` once at least `expected` have arrived, with its partition (`client`: the reader's TLS and SASL). */
export async function readTopic(brokers: string[], topic: string, expected: number, client: Partial<KafkajsConfig> = {}): Promise<{ partition: number; message: KafkaMessage }[]> {
  const kafka = new Kafka({ clientId: 'reader', brokers, logLevel: logLevel.NOTHING, ...client });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const out: { partition: number; message: KafkaMessage }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void out.push({ partition, message }) });
  await waitFor(async () => out.length >= expected, `${expected} messages on ${topic}`);
  await consumer.disconnect();
  return out;
}
