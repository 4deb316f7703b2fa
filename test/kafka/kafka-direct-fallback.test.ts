// The publisher's direct path when Kafka fails it: a topic error or a broker that stops answering
// sends events to the local log and then on to Kafka; close() loses no publish in flight; a
// backlog an earlier run left reaches Kafka in order.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import type { Envelope } from '../../queue/envelope.js';
import { createKafka } from '../../queue/kafka-client.js';
import { KafkaPublisher } from '../../queue/kafka-publisher.js';
import { startBroker } from '../../tools/kafka/broker.js';
import { waitFor } from '../helpers/pipeline-process.js';
import { readTopic } from '../helpers/kafka-topic.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readAll } from '../queue/log-fixtures.js';
import { brokers, directPublishSetup, kafka, kafkaConfig, logger, timersWhileIdle } from './direct-publish-fixtures.js';

/** A logger that keeps what it writes, to count what happened. */
function capturingLogger(): { logger: Logger; count: (pattern: RegExp) => number } {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  return { logger, count: (pattern) => lines.filter((l) => pattern.test(l)).length };
}

describe('direct publishing to Kafka', () => {
  const { dir, cleanups, publisher } = directPublishSetup();

  it('a broker error for the topic sends the group to the local log, and it reaches Kafka once the topic is back', async () => {
    const config = kafkaConfig();
    const { p, fallback } = await publisher(config);
    await p.publish({ body: Buffer.from('{"n":0}'), key: 'k', agent: 'default', receivedAtMs: Date.now(), signature: 'valid' });
    expect(fallback.end).toBe(0);
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.deleteTopics({ topics: [config.topic] });
    await waitFor(async () => !(await admin.listTopics()).includes(config.topic), 'the topic to be deleted');

    const envelopes = Array.from({ length: 20 }, (_, i) => ({ body: Buffer.from(`{"n":${i + 1}}`), key: `k-${i % 4}`, agent: 'default', receivedAtMs: Date.now(), signature: 'valid' as const }));
    await Promise.all(envelopes.map((e) => p.publish(e))); // accepted: durable in the local log
    expect(p.describe()).toMatchObject({ kafka: 'fallback' });
    expect(fallback.end).toBe(envelopes.length);

    await admin.createTopics({ topics: [{ topic: config.topic, numPartitions: config.partitions }], waitForLeaders: true });
    await waitFor(async () => p.describe().kafka === 'connected', 'the local log to drain to Kafka', 60_000);
    const read = await readTopic(brokers, config.topic, envelopes.length);
    expect(read.map((r) => r.message.value!.toString()).sort()).toEqual(envelopes.map((e) => e.body.toString()).sort());
    // Direct again: the next event goes straight to Kafka, and the forwarding client is gone.
    await p.publish({ body: Buffer.from('{"n":21}'), key: 'k', agent: 'default', receivedAtMs: Date.now(), signature: 'valid' });
    expect(fallback.end).toBe(envelopes.length);
    await admin.disconnect();
    // The forwarding producer disconnects after the switch, not awaited by it: then its 1 ms timer loop stops.
    await waitFor(async () => (await timersWhileIdle(300)) < 30, 'the forwarding producer to disconnect and its timers to stop', 15_000);
  });

  it('a broker that stops answering costs one publish budget, each time: the events go to the local log, then to Kafka once it answers', async () => {
    const kdir = await tempDir('aksita-kafka-frozen-');
    const broker = await startBroker({ dataDir: kdir.path });
    cleanups.push(async () => {
      process.kill(broker.pid, 'SIGCONT');
      await broker.stop();
      await kdir.remove();
    });
    const config = { ...kafkaConfig(), brokers: [broker.bootstrap], publishTimeoutMs: 500 };
    const warnings = capturingLogger();
    const fallback = await EmbeddedLog.open({ dir: path.join(dir.path, `fallback-${randomUUID()}`) });
    const p = new KafkaPublisher(createKafka(config, warnings.logger), config, fallback, warnings.logger);
    await p.start();
    cleanups.push(async () => {
      await p.close();
      await fallback.close();
    });
    const envelope = (n: number): Envelope => ({ body: Buffer.from(`{"n":${n}}`), key: `k-${n % 3}`, agent: 'default', receivedAtMs: Date.now(), signature: 'valid' });
    await p.publish(envelope(0));
    expect(fallback.end).toBe(0);

    // Two outages, the second after the first one's backlog reached Kafka and sends went direct
    // again: each needs its own forwarder.
    for (const outage of [1, 2]) {
      const timeoutsBefore = warnings.count(/did not acknowledge/);
      process.kill(broker.pid, 'SIGSTOP'); // connections stay open; nothing answers
      // Acknowledged while the broker is still frozen: none waits for it to come back.
      await Promise.all(Array.from({ length: 10 }, (_, i) => p.publish(envelope(outage * 100 + i))));
      expect(fallback.end).toBe(outage * 10);
      expect(p.describe()).toMatchObject({ kafka: 'fallback' });
      // One budget for all ten: the send that timed out, after which the others went straight
      // to the local log rather than each waiting for a send of its own.
      expect(warnings.count(/did not acknowledge/) - timeoutsBefore).toBe(1);

      process.kill(broker.pid, 'SIGCONT');
      await waitFor(async () => p.describe().kafka === 'connected', `the local log to drain to Kafka after outage ${outage}`, 25_000);
      expect(fallback.backlog).toBe(0);
      await p.publish(envelope(outage * 1000)); // direct again
      expect(fallback.end).toBe(outage * 10);
    }

    // Every event is on the topic (those of a send abandoned at the deadline possibly twice).
    const bodies = new Set((await readTopic([broker.bootstrap], config.topic, 23)).map((r) => r.message.value!.toString()));
    const sent = [0, 1000, 2000, ...[100, 200].flatMap((base) => Array.from({ length: 10 }, (_, i) => base + i))];
    expect(sent.filter((n) => !bodies.has(`{"n":${n}}`))).toEqual([]);
  });

  it('publishes in flight when close() is called are all acknowledged, each on the topic or in the local log', async () => {
    const config = kafkaConfig();
    const fallbackDir = path.join(dir.path, `fallback-${randomUUID()}`);
    const fallback = await EmbeddedLog.open({ dir: fallbackDir });
    const p = new KafkaPublisher(createKafka(config, logger), config, fallback, logger);
    await p.start();
    const bodies = Array.from({ length: 300 }, (_, i) => `{"n":${i}}`);
    const outcomes = Promise.allSettled(bodies.map((b, i) => p.publish({ body: Buffer.from(b), key: `k-${i % 7}`, agent: 'default', receivedAtMs: Date.now(), signature: 'valid' })));
    // What shutdown does (cli/pipeline.ts): the publisher, then its local log. A publish still
    // waiting for its send when the log closes would be refused.
    await p.close();
    await fallback.close();
    const settled = await outcomes;
    expect(settled.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    // Whatever was not forwarded is still in the log (reopened, it starts at what was forwarded).
    const reopened = await EmbeddedLog.open({ dir: fallbackDir });
    const inLog = await readAll(reopened);
    await reopened.close();
    const onTopic = await readTopic(brokers, config.topic, bodies.length - inLog.length);
    const found = new Set([...onTopic.map((r) => r.message.value!.toString()), ...inLog.map((q) => q.envelope.body.toString())]);
    expect(bodies.filter((b) => !found.has(b))).toEqual([]);
  });

  it('a backlog left in the local log by an earlier run reaches Kafka in order, even when one partition has more than one batch holds', async () => {
    const config = kafkaConfig();
    const log = await EmbeddedLog.open({ dir: path.join(dir.path, `fallback-${randomUUID()}`) });
    // 1.2 MB for one partition: more than the broker takes in one record batch (message.max.bytes, 1 MiB).
    const envelopes = Array.from({ length: 12 }, (_, i) => ({
      body: Buffer.from(`{"n":${i}}`.padEnd(100_000)),
      key: 'one-conversation',
      agent: 'default',
      receivedAtMs: Date.now(),
      signature: 'valid' as const,
    }));
    for (const e of envelopes) await log.append(e);
    const p = new KafkaPublisher(createKafka(config, logger), config, log, logger);
    await p.start(); // the log is not empty: starts by forwarding it
    cleanups.push(async () => {
      await p.close();
      await log.close();
    });
    expect(p.describe()).toMatchObject({ kafka: 'fallback' });
    await waitFor(async () => p.describe().kafka === 'connected', 'the backlog to reach Kafka', 30_000);
    const read = await readTopic(brokers, config.topic, envelopes.length);
    expect(read.map((r) => r.message.value!.toString().trim())).toEqual(envelopes.map((e) => e.body.toString().trim()));
  });
});
