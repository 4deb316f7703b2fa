// What the fault tests on real processes share (test/kafka/kafka-faults.test.ts and
// kafka-secure.test.ts): posting signed webhooks, reading a topic back with a plain kafkajs
// client, counting what a process stored, running the CLI to its end, and a broker of the
// test's own to stop and start again.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaConfig as KafkajsConfig } from 'kafkajs';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../tools/kafka/broker.js';
import { BIN, ROOT, waitFor, type PipelineProcess } from './pipeline-process.js';
import { sign } from './sign.js';
import { tempDir } from './temp-dir.js';

export async function post(url: string, body: string, secret: string): Promise<number> {
  const res = await fetch(`${url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, secret) }, body }).catch(() => undefined);
  await res?.arrayBuffer();
  return res?.status ?? 0;
}

/** All message values on a topic, per partition in offset order, read by a plain kafkajs client (`client`: its TLS and SASL). */
export async function topicContents(brokers: string, topic: string, client: Partial<KafkajsConfig> = {}): Promise<{ key: string; id: string }[]> {
  const kafka = new Kafka({ clientId: 'reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING, ...client });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const out: { key: string; id: string }[] = [];
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void out.push({ key: message.key?.toString() ?? '', id: JSON.parse(message.value!.toString()).message_id }) });
  await waitFor(async () => out.length >= total, `reading ${total} messages`);
  await consumer.disconnect();
  return out;
}

/** message_id -> rows stored, as the process's query API reports them. */
export const idCounts = async (p: PipelineProcess) =>
  new Map(
    (await p.query('SELECT message_id, count() FROM aksita.human_agent_replies GROUP BY message_id'))
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split('\t')[0]!, Number(l.split('\t')[1])]),
  );

/** Runs the CLI to its end (bounded: a process that keeps running is a failure here). */
export async function runCli(args: string[], env: Record<string, string>, limitMs = 40_000): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, QUERY_PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr, ms: Date.now() - started };
}

export interface OwnBroker {
  readonly bootstrap: string;
  readonly current: RunningBroker;
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  restart(): Promise<void>;
}

/** A broker of the test's own, to stop and start again on the same ports and data; its stop and removal go to `cleanups`. */
export async function ownBroker(prefix: string, cleanups: (() => Promise<void>)[], options: Omit<BrokerOptions, 'dataDir'> = {}): Promise<OwnBroker> {
  const dir = await tempDir(prefix);
  cleanups.push(dir.remove);
  let broker: RunningBroker = await startBroker({ ...options, dataDir: dir.path });
  cleanups.push(() => broker.stop());
  const port = Number(broker.bootstrap.split(':')[1]);
  const secure = options.secure && broker.securePorts && { ...options.secure, saslSslPort: broker.securePorts.saslSsl, sslPort: broker.securePorts.ssl };
  return {
    get bootstrap() {
      return broker.bootstrap;
    },
    get current() {
      return broker;
    },
    stop: () => broker.stop(),
    restart: async () => {
      broker = await startBroker({ ...options, ...(secure && { secure }), dataDir: dir.path, port });
    },
  };
}
