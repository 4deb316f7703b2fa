// Proves the real Kafka broker from tools/kafka works with kafkajs 2.2.4 for
// everything the pipeline relies on: topic admin, acks=all produce with keys
// and headers, consumer groups with eachBatch and committed offsets.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type KafkaMessage } from 'kafkajs';
import { clusterIdText, startBroker } from '../../tools/kafka/broker.js';
import { tempDir } from '../helpers/temp-dir.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = new Kafka({
  clientId: 'broker-test',
  brokers,
  logLevel: logLevel.WARN,
  retry: { initialRetryTime: 100, retries: 5 },
});
const unique = (what: string): string => `test-${what}-${randomUUID()}`;

/** Resolves when `done()` returns true after an event; rejects after `ms` (a failure guard, not a wait). */
function until(done: () => boolean, ms: number, what: string): { check: () => void; promise: Promise<void> } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // awaited by the test; no "unhandled" noise if it failed earlier
  const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  const check = (): void => {
    if (done()) {
      clearTimeout(timer);
      resolve();
    }
  };
  return { check, promise };
}

let admin: Admin;
const consumers: Consumer[] = [];
beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await admin.disconnect();
});

async function createTopic(partitions: number): Promise<string> {
  const topic = unique('topic');
  const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  expect(created).toBe(true);
  return topic;
}

describe('kafka broker with kafkajs 2.2.4', () => {
  it('creates a 3-partition topic and reports its metadata', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.clusterId).toMatch(/^[\w-]{22}$/);
    const nodeIds = cluster.brokers.map((b) => b.nodeId);

    const topic = await createTopic(3);
    expect(await admin.listTopics()).toContain(topic);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics).toHaveLength(1);
    const partitions = [...topics[0]!.partitions].sort((a, b) => a.partitionId - b.partitionId);
    expect(partitions.map((p) => p.partitionId)).toEqual([0, 1, 2]);
    for (const p of partitions) {
      expect(nodeIds).toContain(p.leader);
      expect(p.replicas).toContain(p.leader);
      expect([...p.isr].sort()).toEqual([...p.replicas].sort()); // every replica in sync
    }
    // auto.create.topics.enable=false: asking for an unknown topic must not create it.
    // Own client with logging off: kafkajs logs the expected error at ERROR level.
    const quiet = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await quiet.connect();
    const missing = unique('missing');
    try {
      await expect(quiet.fetchTopicMetadata({ topics: [missing] })).rejects.toThrow(/does not host this topic/);
    } finally {
      await quiet.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(missing);
  });

  // Shared by the produce and consume tests, which run in file order.
  const topic = `test-topic-${randomUUID()}`;
  // Every byte value, so a UTF-8 round trip anywhere in the path would corrupt it.
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
  const sent = Array.from({ length: 30 }, (_, i) => ({
    key: `key-${i % 7}`,
    value: i === 0 ? binary : Buffer.from(`{"n":${i},"text":"ünïcødé ✓"}`),
    headers: { 'x-seq': String(i), 'x-bin': Buffer.from([0, 1, 2, 255]) },
  }));

  it('produces keyed messages with headers with acks=-1 and gets offsets back', async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    // DefaultPartitioner (murmur2, Java-compatible) chosen explicitly: silences kafkajs' v2 partitioner warning.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const meta = await producer.send({ topic, acks: -1, messages: sent });
      expect(meta.length).toBeGreaterThan(0);
      for (const m of meta) {
        expect(m.topicName).toBe(topic);
        expect(m.errorCode).toBe(0);
        expect(m.baseOffset).toBe('0'); // first write to a fresh partition
      }
      // Offsets really exist: high watermarks add up to what was sent.
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(sent.length);
      // A second send continues after the first batch of its partition.
      const extra = { key: 'key-0', value: Buffer.from('extra'), headers: { 'x-seq': String(sent.length), 'x-bin': Buffer.from([0, 1, 2, 255]) } };
      const [again] = await producer.send({ topic, acks: -1, messages: [extra] });
      const before = offsets.find((p) => p.partition === again!.partition)!;
      expect(again!.baseOffset).toBe(before.high);
      sent.push(extra);
    } finally {
      await producer.disconnect();
    }
  });

  it('accepts an idempotent producer (InitProducerId) with acks=-1', async () => {
    const idemTopic = await createTopic(1);
    // kafkajs warns "Limiting retries for the idempotent producer may invalidate EoS"
    // unless retries is unbounded; the test timeout bounds it instead.
    const producer = kafka.producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, retries: Number.MAX_SAFE_INTEGER },
    });
    await producer.connect();
    try {
      const first = await producer.send({
        topic: idemTopic,
        acks: -1,
        messages: [
          { key: 'k', value: 'a' },
          { key: 'k', value: 'b' },
        ],
      });
      const second = await producer.send({ topic: idemTopic, acks: -1, messages: [{ key: 'k', value: 'c' }] });
      expect(first[0]!.baseOffset).toBe('0');
      expect(second[0]!.baseOffset).toBe('2');
      const [p0] = await admin.fetchTopicOffsets(idemTopic);
      expect(p0!.high).toBe('3');
    } finally {
      await producer.disconnect();
    }
  });

  it('reads everything back in a consumer group, commits, and a later member skips committed data', async () => {
    const groupId = unique('group');
    const received: KafkaMessage[] = [];
    const partitionsOf = new Map<string, Set<number>>();
    const first = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    consumers.push(first);
    const all = until(() => received.length >= sent.length, 30_000, `${sent.length} messages`);
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await first.run({
      autoCommit: false, // commit explicitly below, so the test proves commits work
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const m of batch.messages) {
          received.push(m);
          const key = m.key!.toString();
          partitionsOf.set(key, (partitionsOf.get(key) ?? new Set()).add(batch.partition));
          resolveOffset(m.offset);
        }
        const next = String(Number(batch.lastOffset()) + 1);
        await first.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        await heartbeat();
        all.check();
      },
    });
    await all.promise;
    await first.disconnect();

    expect(received).toHaveLength(sent.length);
    const bySeq = new Map(received.map((m) => [m.headers!['x-seq']!.toString(), m]));
    sent.forEach((s, i) => {
      const got = bySeq.get(String(i));
      expect(got, `message ${i}`).toBeDefined();
      expect(got!.key!.toString()).toBe(s.key);
      expect(Buffer.compare(got!.value!, Buffer.from(s.value))).toBe(0); // byte-exact
      expect(Buffer.compare(got!.headers!['x-bin'] as Buffer, Buffer.from([0, 1, 2, 255]))).toBe(0);
    });
    // Same key, same partition (the default murmur2 partitioner).
    for (const [key, parts] of partitionsOf) expect(parts.size, key).toBe(1);

    // Committed offsets = end of each partition.
    const high = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const asMap = (xs: Array<{ partition: number; offset: string }>) => Object.fromEntries(xs.map((p) => [p.partition, p.offset]));
    expect(asMap(committed!.partitions)).toEqual(asMap(high.map((p) => ({ partition: p.partition, offset: p.high }))));

    // A new member of the same group, even with fromBeginning, must resume at the
    // committed offsets. Markers written to every partition after it joined come
    // after all old data in each partition, so once all markers arrived, any old
    // message would have arrived too.
    const second = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    consumers.push(second);
    const seen: string[] = [];
    const markers = until(() => seen.filter((v) => v.startsWith('marker')).length >= 3, 30_000, '3 markers');
    const joined = new Promise<void>((res) => second.on(second.events.GROUP_JOIN, () => res()));
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) seen.push(m.value!.toString());
        markers.check();
      },
    });
    await joined;
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [0, 1, 2].map((partition) => ({ partition, value: `marker-${partition}` })),
    });
    await producer.disconnect();
    await markers.promise;
    await second.disconnect();
    expect(seen.sort()).toEqual(['marker-0', 'marker-1', 'marker-2']);
  });
});

describe('starting a broker', () => {
  it('a new cluster id never starts with "-", which the format tool would read as an option (1 start in 64 failed)', () => {
    const ids = Array.from({ length: 5_000 }, clusterIdText);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
  });

  it('refuses a fixed port that is already in use, before starting a JVM that would fail to bind', async () => {
    const dir = await tempDir('aksita-kafka-busy-');
    const busyPort = Number(brokers[0]!.split(':')[1]);
    await expect(startBroker({ dataDir: dir.path, port: busyPort })).rejects.toThrow(`port ${busyPort} is already in use on 127.0.0.1`);
    await dir.remove();
  });
});
