// The publisher's direct path writes Produce requests itself (queue/kafka-sender/).
// Oracles independent of that encoder: the real broker (it checks each batch's CRC and framing)
// and kafkajs's consumer, which decodes what the broker stored.
import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../queue/envelope.js';
import { fromKafkaMessage } from '../../queue/kafka-message.js';
import { crc32c } from '../../queue/kafka-sender/record-batch.js';
import { samplePayload } from '../helpers/sign.js';
import { readTopic } from '../helpers/kafka-topic.js';
import { brokers, directPublishSetup, kafka, kafkaConfig, timersWhileIdle } from './direct-publish-fixtures.js';

describe('direct publishing to Kafka', () => {
  const { publisher } = directPublishSetup();

  it('crc32c gives the CRC-32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  it('every envelope read back through kafkajs equals the one published: body bytes, key, headers, timestamp, partition', async () => {
    const config = kafkaConfig();
    const { p, fallback } = await publisher(config);
    const now = Date.now();
    const envelopes: Envelope[] = [
      ...Array.from({ length: 200 }, (_, i) => ({
        body: Buffer.from(JSON.stringify(samplePayload({ conversation_id: `conv-${i % 13}-ünï-✓` }))),
        key: `conv-${i % 13}-ünï-✓`,
        agent: i % 2 ? 'default' : 'agënt-✓',
        receivedAtMs: now + (i % 7) * 1_000,
        signature: i % 3 ? ('valid' as const) : ('unsigned' as const),
      })),
      // Dead letters: no key, reasons with multi-byte characters; an empty body; a large binary body (multi-byte lengths).
      { body: Buffer.from('[1]'), key: '', agent: 'default', receivedAtMs: now, signature: 'valid', reject: { code: 'not_an_object', reason: 'Body is a JSON array — “[1]”.' } },
      { body: Buffer.alloc(0), key: '', agent: 'default', receivedAtMs: now - 5_000, signature: 'unsigned', reject: { code: 'invalid_json', reason: '' } },
      { body: randomBytes(300_000), key: 'big', agent: 'default', receivedAtMs: now, signature: 'valid' },
    ];
    // Concurrent publishers, so sends carry groups spread over several partitions.
    await Promise.all(envelopes.map((e) => p.publish(e)));
    expect(fallback.end).toBe(0); // Kafka took every group directly
    expect(p.describe()).toMatchObject({ kafka: 'connected' });

    const read = await readTopic(brokers, config.topic, envelopes.length);
    expect(read).toHaveLength(envelopes.length);
    const partition = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: config.partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 }));
    const byBody = new Map(read.map((r) => [r.message.value!.toString('base64'), r]));
    for (const sent of envelopes) {
      const got = byBody.get(sent.body.toString('base64'));
      expect(got, sent.key).toBeDefined();
      expect(fromKafkaMessage(got!.message)).toEqual(sent);
      expect(got!.message.timestamp).toBe(String(sent.receivedAtMs));
      if (sent.key === '') expect(got!.message.key).toBeNull();
      else expect(got!.partition).toBe(partition({ topic: config.topic, partitionMetadata, message: { key: sent.key, value: null } }));
    }
  });

  it('a burst larger than the broker takes in one batch is sent in several, all directly', async () => {
    const config = kafkaConfig();
    const { p, fallback } = await publisher(config);
    // One conversation (one partition), 3 MB in all: one record batch would exceed message.max.bytes (1 MiB).
    const envelopes = Array.from({ length: 30 }, (_, i) => ({ body: Buffer.alloc(100_000, i), key: 'one-conversation', agent: 'default', receivedAtMs: Date.now(), signature: 'valid' as const }));
    await Promise.all(envelopes.map((e) => p.publish(e)));
    expect(fallback.end).toBe(0);
    const read = await readTopic(brokers, config.topic, 30);
    expect(read.map((r) => r.message.value![0])).toEqual(envelopes.map((_, i) => i)); // and in order
  });

  it('a publish made in the same turn as another one is acknowledged is sent too', async () => {
    const config = kafkaConfig();
    const { p, fallback } = await publisher(config);
    const env = (n: number): Envelope => ({ body: Buffer.from(`{"n":${n}}`), key: 'k', agent: 'default', receivedAtMs: Date.now(), signature: 'valid' });
    for (let n = 0; n < 5; n++) {
      // No turn of the event loop between one acknowledgement and the next publish.
      const next = p.publish(env(n)).then(() => p.publish(env(n + 100)));
      let guard: NodeJS.Timeout | undefined;
      await Promise.race([next, new Promise((_, reject) => (guard = setTimeout(() => reject(new Error(`publish ${n + 100} was never sent`)), 5_000)))]);
      clearTimeout(guard);
    }
    expect(fallback.end).toBe(0);
  });

  it('an idle kafkajs connection runs no 1 ms timer loop, and a publisher sending directly adds none', async () => {
    const config = kafkaConfig();
    const { p, fallback } = await publisher(config);
    await p.publish({ body: Buffer.from('{"n":0}'), key: 'k', agent: 'default', receivedAtMs: Date.now(), signature: 'valid' });
    expect(fallback.end).toBe(0);
    expect(await timersWhileIdle(300)).toBeLessThan(30);
    // kafkajs rescheduled a 1 ms timer on every connection forever (kafkajs#1556, #1704), hundreds
    // in 300 ms; queue/kafkajs-request-queue-patch.ts schedules only while requests wait.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: config.topic, messages: [{ value: 'x' }] });
    try {
      expect(await timersWhileIdle(300)).toBeLessThan(30);
    } finally {
      await producer.disconnect();
    }
  });
});
