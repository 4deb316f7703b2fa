// Faults with real processes and a real broker: SIGKILLed consumer, SIGKILLed ingest, and a
// broker that goes away while webhooks keep arriving. Zero loss, zero duplicates.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { idCounts, ownBroker as ownBrokerOf, post as postSigned, runCli, topicContents } from '../helpers/kafka-faults.js';
import { startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { samplePayload } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'fault-secret';
const running: PipelineProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const p of running) p.child.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function kafkaEnv(brokers: string, extra: Record<string, string> = {}) {
  const id = randomUUID();
  return { WEBHOOK_SECRET: SECRET, KAFKA_BROKERS: brokers, KAFKA_TOPIC: `t-${id}`, KAFKA_GROUP_ID: `g-${id}`, KAFKA_PARTITIONS: '3', BATCH_MAX_WAIT_MS: '100', ...extra };
}

async function spawn(command: string, env: Record<string, string>): Promise<PipelineProcess> {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const p = await startPipeline(dir.path, env, command);
  running.push(p);
  return p;
}

const post = (url: string, body: string) => postSigned(url, body, SECRET);

async function backlog(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^aksita_queue_backlog_events (\S+)$/m.exec(text)?.[1]);
}

const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status;
const ownBroker = (prefix: string) => ownBrokerOf(prefix, cleanups);

describe('Kafka faults', () => {
  const brokers = inject('kafkaBrokers');

  it('`start` with KAFKA_BROKERS runs receiver and consumer in one process on Kafka', async () => {
    const env = kafkaEnv(brokers);
    const p = await spawn('start', env);
    const body = JSON.stringify(samplePayload());
    expect(await post(p.url, body)).toBe(200);
    await waitFor(async () => (await idCounts(p)).get(JSON.parse(body).message_id) === 1, 'the reply stored through Kafka');
    expect(await p.query(`SELECT DISTINCT queue_name FROM aksita.human_agent_replies`)).toBe(`kafka:${env.KAFKA_TOPIC}\n`);
    // Twenty more to one conversation (one partition, so mostly in one fetch). Once all are
    // stored the backlog is empty; it used to show the lag as it was before the last batch.
    const more = Array.from({ length: 20 }, () => JSON.stringify(samplePayload({ conversation_id: 'one-conversation' })));
    expect(await Promise.all(more.map((b) => post(p.url, b)))).toEqual(more.map(() => 200));
    await waitFor(async () => (await idCounts(p)).size === 21, 'the twenty stored');
    // The gauge moves after the offset commit, just after the rows become visible.
    await waitFor(async () => (await backlog(p.queryUrl)) === 0, 'the backlog gauge to reach 0');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it.each(['ingest', 'consume'])('%s stops at start-up with exit code 2 when the broker refuses the topic as configured', async (command) => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    // One broker here, so three replicas cannot be placed: INVALID_REPLICATION_FACTOR.
    const env = kafkaEnv(brokers, { KAFKA_REPLICATION_FACTOR: '3', PORT: '0', DATA_DIR: dir.path });
    const result = await runCli([command], env);
    expect(result.stderr).toContain(`KAFKA_REPLICATION_FACTOR=3: the Kafka broker refused to create topic ${env.KAFKA_TOPIC}:`);
    expect(result.stderr).toContain('(INVALID_REPLICATION_FACTOR); expected settings this cluster accepts');
    expect(result.code).toBe(2);
  });

  it('ingest stops at start-up with exit code 2 when the topic takes smaller records than MAX_BODY_BYTES allows', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const env = kafkaEnv(brokers, { PORT: '0', DATA_DIR: dir.path, MAX_BODY_BYTES: '262144' });
    const admin = new Kafka({ clientId: 'setup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: env.KAFKA_TOPIC, numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '100000' }] }] });
    await admin.disconnect();
    const result = await runCli(['ingest'], env);
    expect(result.stderr).toContain(`MAX_BODY_BYTES=262144: topic ${env.KAFKA_TOPIC} takes records of at most 100000 bytes (max.message.bytes)`);
    expect(result.stderr).toContain('expected MAX_BODY_BYTES of at most 98976');
    expect(result.code).toBe(2);
  });

  it('a consumer SIGKILLed mid-stream and restarted stores everything exactly once', async () => {
    const env = kafkaEnv(brokers, { BATCH_MAX_ROWS: '50' });
    const ingest = await spawn('ingest', env);
    const bodies = Array.from({ length: 1_000 }, () => JSON.stringify(samplePayload()));
    for (let i = 0; i < bodies.length; i += 50) {
      const statuses = await Promise.all(bodies.slice(i, i + 50).map((b) => post(ingest.url, b)));
      expect(statuses.every((s) => s === 200)).toBe(true);
    }
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const first = await startPipeline(dir.path, env, 'consume');
    running.push(first);
    await waitFor(async () => (await idCounts(first)).size >= 200, 'the first consumer to store some batches');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startPipeline(dir.path, env, 'consume');
    running.push(second);
    let counts = new Map<string, number>();
    await waitFor(async () => (counts = await idCounts(second)).size >= 1_000, 'all 1,000 stored after restart', 60_000);
    expect(bodies.filter((b) => counts.get(JSON.parse(b).message_id) !== 1)).toEqual([]);
    expect(counts.size).toBe(1_000);
  });

  it('every event acknowledged by an ingest process that is SIGKILLed mid-stream is on the topic', async () => {
    const env = kafkaEnv(brokers);
    const ingest = await spawn('ingest', env);
    const acked = new Set<string>();
    let next = 0;
    const bodies = Array.from({ length: 2_000 }, () => JSON.stringify(samplePayload()));
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          if ((await post(ingest.url, body)) === 200) {
            acked.add(JSON.parse(body).message_id);
            if (acked.size === 600) ingest.child.kill('SIGKILL');
          }
        }
      }),
    );
    expect(await ingest.exited).toBe('SIGKILL');
    const onTopic = new Set((await topicContents(brokers, env.KAFKA_TOPIC)).map((m) => m.id));
    expect([...acked].filter((id) => !onTopic.has(id))).toEqual([]);
  });

  it('a consumer is not ready while its broker is down, and ready again once it is back', async () => {
    const broker = await ownBroker('aksita-kafka-ready-');
    const consume = await spawn('consume', kafkaEnv(broker.bootstrap));
    await waitFor(async () => (await readyz(consume.url)) === 200, 'the consumer to join its group');
    await broker.stop();
    await waitFor(async () => (await readyz(consume.url)) === 503, 'readiness to notice the broker is gone', 45_000);
    await broker.restart();
    await waitFor(async () => (await readyz(consume.url)) === 200, 'the consumer to rejoin', 45_000);
  }, 150_000);

  it('with the broker stopped mid-stream, acknowledged events go to the fallback log and reach Kafka, in order, once it is back', async () => {
    const broker = await ownBroker('aksita-kafka-fault-');
    const env = kafkaEnv(broker.bootstrap, { KAFKA_PUBLISH_TIMEOUT_MS: '500' });
    const ingest = await spawn('ingest', env);
    // Ten conversations, each sending its replies one after another (so order is defined).
    const acked = new Map<string, string[]>();
    let phase: 'before' | 'down' | 'after' = 'before';
    const sent = { before: 0, down: 0, after: 0 };
    const conversation = async (c: string) => {
      acked.set(c, []);
      while (phase !== 'after' || sent.after < 100) {
        const body = JSON.stringify(samplePayload({ conversation_id: c }));
        if ((await post(ingest.url, body)) === 200) {
          acked.get(c)!.push(JSON.parse(body).message_id);
          sent[phase] += 1;
        }
      }
    };
    const senders = Array.from({ length: 10 }, (_, i) => conversation(`conv-${i}`));
    await waitFor(async () => sent.before >= 100, 'traffic while Kafka is up');
    await broker.stop();
    phase = 'down';
    await waitFor(async () => sent.down >= 100, 'events acknowledged while Kafka is down', 60_000);
    const ready = (await (await fetch(`${ingest.url}/readyz`)).json()) as { kafka: string; fallbackBacklog: number };
    expect(ready.kafka).toBe('fallback');
    await broker.restart();
    phase = 'after';
    await Promise.all(senders);
    const total = [...acked.values()].reduce((n, ids) => n + ids.length, 0);
    await waitFor(async () => ((await (await fetch(`${ingest.url}/readyz`)).json()) as { fallbackBacklog: number }).fallbackBacklog === 0, 'the fallback log to drain', 60_000);
    const messages = await topicContents(broker.bootstrap, env.KAFKA_TOPIC);
    expect(new Set(messages.map((m) => m.id)).size).toBeGreaterThanOrEqual(total);
    for (const [c, ids] of acked) {
      // First appearance of each reply on the topic, for this conversation, in topic order.
      const seen: string[] = [];
      for (const m of messages) if (m.key === c && !seen.includes(m.id)) seen.push(m.id);
      expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    }
  });
});
