// CPU of this process per message sent to Kafka (acks=all) by the fast path (queue/kafka-sender/)
// and by kafkajs's producer, on plaintext, TLS, and TLS with SASL (SCRAM-SHA-512), against a
// real broker started here with those listeners. Groups of GROUP envelopes, one send at a time,
// as the publisher sends under load. Not part of `npm run bench`.
//   npx tsx bench/kafka-sender.ts [messages per run, default 40000] [rounds, default 3]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type KafkaConfig } from '../core/config.js';
import type { Envelope } from '../queue/envelope.js';
import { createKafka } from '../queue/kafka-client.js';
import { toKafkaMessage } from '../queue/kafka-message.js';
import { javaCompatiblePartitioner } from '../queue/kafka-partitioner.js';
import { prepareTopic } from '../queue/kafka-topic.js';
import { createSender } from '../queue/kafka-sender/kafka-sender.js';
import { startBroker } from '../tools/kafka/broker.js';
import { makeTestCerts } from '../tools/kafka/test-certs.js';
import { signedPool } from './payloads.js';
import { figure, round } from './stats.js';

const MESSAGES = Number(process.argv[2] ?? 40_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const GROUP = 64;
const logger = pino({ level: 'warn' });

const dir = mkdtempSync(path.join(tmpdir(), 'aksita-bench-sender-'));
mkdirSync(path.join(dir, 'certs'));
const certs = makeTestCerts(path.join(dir, 'certs'));
const broker = await startBroker({
  dataDir: path.join(dir, 'data'),
  secure: { certs, plainUsers: {}, scramUsers: [{ mechanism: 'SCRAM-SHA-512', name: 'bench', password: 'bench-secret' }] },
});
const ports = broker.securePorts!;
const transports: Record<string, Record<string, string>> = {
  plaintext: { KAFKA_BROKERS: broker.bootstrap },
  tls: { KAFKA_BROKERS: `127.0.0.1:${ports.ssl}`, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.caFile, KAFKA_SSL_CERT_FILE: certs.clientCertFile, KAFKA_SSL_KEY_FILE: certs.clientKeyFile },
  'tls+scram': {
    KAFKA_BROKERS: `127.0.0.1:${ports.saslSsl}`,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: certs.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'bench',
    KAFKA_SASL_PASSWORD: 'bench-secret',
  },
};

const pool = signedPool({ prefix: `sender-${Date.now()}` }, 4096);
const envelopes = (n: number): Envelope[] =>
  Array.from({ length: n }, (_, i) => {
    const req = pool[i % pool.length]!;
    return { body: req.body, key: `conversation-${i % 500}`, agent: 'default', receivedAtMs: Date.now(), signature: 'valid' };
  });

type Send = (group: Envelope[]) => Promise<void>;

async function openPath(kind: 'fast path' | 'kafkajs', config: KafkaConfig): Promise<{ send: Send; close: () => Promise<void> }> {
  const kafka = createKafka(config, logger);
  if (kind === 'fast path') {
    const sender = createSender(kafka, config);
    await sender.refresh();
    return { send: (g) => sender.send(g), close: async () => sender.close() };
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: javaCompatiblePartitioner });
  await producer.connect();
  return { send: async (g) => void (await producer.send({ topic: config.topic, acks: -1, messages: g.map(toKafkaMessage) })), close: () => producer.disconnect() };
}

/** CPU µs of this process per message, over MESSAGES after a warm-up. */
async function measure(kind: 'fast path' | 'kafkajs', transport: string, n: number): Promise<number> {
  const env = loadConfig({ ...transports[transport]!, KAFKA_TOPIC: `bench-sender-${transport.replace(/\W/g, '-')}`, KAFKA_PARTITIONS: '6' });
  const config = env.kafka!;
  await prepareTopic(createKafka(config, logger), config);
  const { send, close } = await openPath(kind, config);
  const all = envelopes(n + 2_000);
  for (let i = 0; i < 2_000; i += GROUP) await send(all.slice(i, i + GROUP));
  const before = process.cpuUsage();
  for (let i = 2_000; i < all.length; i += GROUP) await send(all.slice(i, i + GROUP));
  const used = process.cpuUsage(before);
  await close();
  return (used.user + used.system) / n;
}

const results = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const transport of Object.keys(transports)) {
    for (const kind of ['fast path', 'kafkajs'] as const) {
      const us = await measure(kind, transport, MESSAGES);
      const key = `${transport}\t${kind}`;
      results.set(key, [...(results.get(key) ?? []), us]);
      console.error(`round ${r + 1}/${ROUNDS} ${transport} ${kind}: ${round(us, 1)} µs/message`);
    }
  }
}
console.log(`CPU of the sending process per message (user + system), ${MESSAGES} messages per run in groups of ${GROUP}, acks=all, median (min-max) of ${ROUNDS} runs`);
console.log('transport\tpath\tµs/message');
for (const [key, runs] of results) {
  const f = figure(runs);
  console.log(`${key}\t${round(f.median, 1)} (${round(f.min, 1)}-${round(f.max, 1)})`);
}
await broker.stop();
rmSync(dir, { recursive: true, force: true });
