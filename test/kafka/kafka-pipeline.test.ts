// Publisher and consumer group against the real broker, storing into real chDB:
// exactly-once results, a failing store, and a rebalance in the middle of the stream.
import { createHmac } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KafkaConfig } from '../../core/config.js';
import { KafkaReplyConsumer } from '../../consumer/kafka-consumer.js';
import { createMetrics } from '../../core/metrics.js';
import type { Envelope } from '../../queue/envelope.js';
import { createKafka } from '../../queue/kafka-client.js';
import { ChdbStore } from '../../store/chdb-store.js';
import type { Store } from '../../store/store.js';
import { waitFor } from '../helpers/pipeline-process.js';
import { samplePayload } from '../helpers/sign.js';
import { openPublisher } from '../helpers/kafka-publisher.js';
import { freshTopicConfig, readTopic } from '../helpers/kafka-topic.js';
import { tempDir } from '../helpers/temp-dir.js';

const brokers = inject('kafkaBrokers').split(',');
const logger = pino({ level: 'silent' });
const SECRET = 'kafka-secret';

const kafkaConfig = () => freshTopicConfig(brokers, 3, 'test');

function envelope(payload = samplePayload()): Envelope {
  return { body: Buffer.from(JSON.stringify(payload)), key: String(payload.conversation_id), agent: 'default', receivedAtMs: Date.now(), signature: 'valid' };
}

/** The whole topic, keys and headers as text. */
async function readTopicText(topic: string, expected: number) {
  return (await readTopic(brokers, topic, expected)).map(({ partition, message }) => ({
    partition,
    key: message.key!.toString(),
    value: message.value!,
    headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
  }));
}

describe('Kafka publisher and consumer group', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: ChdbStore;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    store = await ChdbStore.open(dir.path);
    await store.migrate();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await store.close();
    await dir.remove();
  });

  const publisher = (config: KafkaConfig) => openPublisher(dir.path, config, logger, cleanups);
  function consumer(config: KafkaConfig, s: Store = store, maxRows = 500) {
    const c = new KafkaReplyConsumer({ kafka: createKafka(config, logger), config, store: s, maxRows, maxWaitMs: 100, logger });
    cleanups.push(() => c.stop());
    return c;
  }
  const countTopic = async (topic: string) => Number((await store.query(`SELECT count() FROM aksita.human_agent_replies WHERE queue_name = 'kafka:${topic}'`, { format: 'TSV' })).toString().trim());
  const duplicates = async (topic: string) =>
    Number((await store.query(`SELECT count() - uniqExact(agent, message_id) FROM aksita.human_agent_replies WHERE queue_name = 'kafka:${topic}'`, { format: 'TSV' })).toString().trim());

  it('concurrent publishes land on the topic byte-exact, keyed by conversation, re-verifiable, in order per conversation', async () => {
    const config = kafkaConfig();
    const { p, fallback } = await publisher(config);
    const envelopes = Array.from({ length: 300 }, (_, i) => envelope(samplePayload({ conversation_id: `conv-${i % 10}`, additional_context: String(i) })));
    // Each conversation's replies are published one after another; conversations run concurrently.
    await Promise.all(
      Array.from({ length: 10 }, async (_, c) => {
        for (const e of envelopes.filter((_, i) => i % 10 === c)) await p.publish(e);
      }),
    );
    expect(fallback.end).toBe(0); // Kafka took everything directly
    const messages = await readTopicText(config.topic, 300);
    expect(messages).toHaveLength(300);
    const sent = new Map(envelopes.map((e) => [e.body.toString(), e]));
    for (const m of messages) {
      const original = sent.get(m.value.toString())!;
      expect(original).toBeDefined();
      expect(m.key).toBe(original.key);
      expect(m.headers['aksita-agent']).toBe('default');
      expect(m.headers['aksita-signature-status']).toBe('valid');
      // Any reader can re-verify: the value is exactly what the sender signed.
      const sig = createHmac('sha256', SECRET).update(m.value).digest('hex');
      expect(sig).toBe(createHmac('sha256', SECRET).update(original.body).digest('hex'));
    }
    for (let c = 0; c < 10; c++) {
      const order = messages.filter((m) => m.key === `conv-${c}`).map((m) => Number(JSON.parse(m.value.toString()).additional_context));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('a consumer group stores every event exactly once, dead letters included', async () => {
    const config = kafkaConfig();
    const { p } = await publisher(config);
    const payloads = Array.from({ length: 400 }, () => samplePayload());
    await Promise.all(payloads.map((pl) => p.publish(envelope(pl))));
    await Promise.all(payloads.slice(0, 50).map((pl) => p.publish(envelope(pl)))); // sent twice
    await p.publish({ ...envelope(), body: Buffer.from('[1]'), key: '', reject: { code: 'not_an_object', reason: 'Body is JSON an array.' } });
    const c = consumer(config);
    await c.start();
    await waitFor(async () => (await countTopic(config.topic)) >= 400, 'all replies stored');
    expect(await countTopic(config.topic)).toBe(400);
    expect(await duplicates(config.topic)).toBe(0);
    await waitFor(
      async () => (await store.query(`SELECT count() FROM aksita.dead_letters WHERE queue_name = 'kafka:${config.topic}'`, { format: 'TSV' })).toString().trim() === '1',
      'the dead letter',
    );
  });

  it('while the store fails, offsets are not committed; then the consumer catches up', async () => {
    const config = kafkaConfig();
    const { p } = await publisher(config);
    await Promise.all(Array.from({ length: 120 }, () => p.publish(envelope())));
    const state = { failures: 4 };
    const failing = Object.assign(Object.create(store) as Store, {
      insertReplies: async (...args: Parameters<Store['insertReplies']>) => {
        if (state.failures > 0) {
          state.failures -= 1;
          throw new Error('injected: ClickHouse refused the insert');
        }
        return store.insertReplies(...args);
      },
    });
    const admin = createKafka(config, logger).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const committed = async () => (await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }))[0]!.partitions.reduce((n, x) => n + Math.max(0, Number(x.offset)), 0);
    const c = consumer(config, failing);
    await c.start();
    while (state.failures > 0) {
      expect(await committed()).toBe(0);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(async () => (await countTopic(config.topic)) >= 120, 'catch-up after the store recovered');
    await waitFor(async () => (await committed()) === 120, 'offsets committed after storing');
    expect(await countTopic(config.topic)).toBe(120);
    expect(await duplicates(config.topic)).toBe(0);
  });

  it('a store that fails after catching up shows the waiting events as backlog, then none', async () => {
    const config = kafkaConfig();
    const { p } = await publisher(config);
    const state = { failing: false };
    const failing = Object.assign(Object.create(store) as Store, {
      insertReplies: async (...args: Parameters<Store['insertReplies']>) => {
        if (state.failing) throw new Error('injected: ClickHouse refused the insert');
        return store.insertReplies(...args);
      },
    });
    const metrics = createMetrics();
    const backlog = async () => (await metrics.queueBacklog.get()).values[0]?.value ?? 0;
    const c = new KafkaReplyConsumer({ kafka: createKafka(config, logger), config, store: failing, maxRows: 500, maxWaitMs: 100, logger, metrics });
    cleanups.push(() => c.stop());
    await c.start();
    await Promise.all(Array.from({ length: 20 }, () => p.publish(envelope())));
    await waitFor(async () => (await countTopic(config.topic)) === 20 && (await backlog()) === 0, 'caught up');
    state.failing = true;
    await Promise.all(Array.from({ length: 30 }, () => p.publish(envelope())));
    await waitFor(async () => (await backlog()) === 30, 'the 30 unstored events in the backlog gauge');
    state.failing = false;
    await waitFor(async () => (await countTopic(config.topic)) === 50 && (await backlog()) === 0, 'stored after the store recovered');
  });

  it('two consumers in one group, with rebalances mid-stream, store everything exactly once', async () => {
    const config = kafkaConfig();
    const { p } = await publisher(config);
    const wave = (n: number) => Promise.all(Array.from({ length: n }, () => p.publish(envelope())));
    const first = consumer(config, store, 50);
    await first.start();
    await wave(300);
    await waitFor(async () => (await countTopic(config.topic)) > 0, 'the first consumer to store something');
    const second = consumer(config, store, 50);
    await second.start(); // rebalance: partitions move while the stream continues
    await wave(300);
    await first.stop(); // another rebalance: the second takes everything
    await wave(300);
    await waitFor(async () => (await countTopic(config.topic)) >= 900, 'all 900 stored');
    expect(await countTopic(config.topic)).toBe(900);
    expect(await duplicates(config.topic)).toBe(0);
  });
});
