// Ingest's fast path to Kafka: one connection per partition leader, one Produce request per
// leader for a whole group of envelopes, encoded without kafkajs (see kafka-produce-request.ts).
// Cluster metadata (leaders, their addresses) comes from kafkajs's admin client. It is a fast
// path, not a client: it does not retry. Anything unusual (a broker error code, a closed socket,
// a moved leader) rejects the send, and KafkaPublisher then keeps the events in the local
// durable log and forwards them with kafkajs's producer, which retries and follows leaders.
import net from 'node:net';
import type { Kafka, PartitionMetadata } from 'kafkajs';
import type { KafkaConfig } from '../core/config.js';
import type { Envelope } from './envelope.js';
import { kafkaKey } from './kafka-message.js';
import { javaCompatiblePartitioner } from './kafka-partitioner.js';
import { decodeProduceResponse, encodeProduceRequest, type PartitionRecords } from './kafka-produce-request.js';

/** Metadata older than this is fetched again before the next send, as kafkajs's metadataMaxAge does. */
const METADATA_MAX_AGE_MS = 300_000;

class KafkaSendError extends Error {
  override name = 'KafkaSendError';
}

/** One socket to one broker, with Produce requests in flight matched to responses by correlation id. */
class BrokerConnection {
  private readonly socket: net.Socket;
  private readonly waiting = new Map<number, { resolve: (body: Buffer) => void; reject: (err: Error) => void }>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: Error | undefined;
  readonly connected: Promise<void>;

  constructor(readonly address: string, host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.connected.catch(() => undefined);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(new KafkaSendError(`connection to Kafka broker ${address} failed: ${err.message}`, { cause: err })));
    this.socket.on('close', () => this.fail(new KafkaSendError(`connection to Kafka broker ${address} closed`)));
  }

  get usable(): boolean {
    return this.failure === undefined;
  }

  request(correlationId: number, bytes: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(correlationId, { resolve, reject });
      this.socket.write(bytes);
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (head.length < 4 + size) {
        this.chunks = [head];
        return;
      }
      const correlationId = head.readInt32BE(4);
      const body = head.subarray(8, 4 + size);
      const rest = head.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      const waiter = this.waiting.get(correlationId);
      this.waiting.delete(correlationId);
      waiter?.resolve(body);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.socket.destroy();
  }

  close(): void {
    this.fail(new KafkaSendError(`connection to Kafka broker ${this.address} closed by the publisher`));
  }
}

interface Metadata {
  /** The topic's partitions, as the partitioner reads them. */
  partitions: PartitionMetadata[];
  /** Leader node id of each partition, by partition id; -1 when it has none. */
  leaders: number[];
  /** Node id -> host:port. */
  brokers: Map<number, { host: string; port: number }>;
  fetchedAt: number;
}

export class KafkaDirectProducer {
  private metadata: Metadata | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly connections = new Map<number, BrokerConnection>();
  private correlationId = 0;
  // The same choice of partition as the forwarding path's kafkajs producer (kafka-publisher.ts).
  private readonly partitioner = javaCompatiblePartitioner();

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaConfig,
  ) {}

  /** Fetches partition leaders and broker addresses (again); one fetch at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fetchMetadata().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async fetchMetadata(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [{ topics }, cluster] = await Promise.all([admin.fetchTopicMetadata({ topics: [this.config.topic] }), admin.describeCluster()]);
      const { partitions } = topics[0]!;
      const leaders: number[] = [];
      for (const p of partitions) leaders[p.partitionId] = p.leader;
      this.metadata = { partitions, leaders, brokers: new Map(cluster.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }])), fetchedAt: Date.now() };
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Sends the envelopes with acks from all in-sync replicas; resolves once every partition
   * leader acknowledged its records. Envelopes with the same key keep their relative order.
   */
  async send(envelopes: Envelope[]): Promise<void> {
    if (!this.metadata) await this.refresh();
    // Aged metadata is renewed beside the send, not before it: webhooks wait for this send. A
    // leader that moved meanwhile refuses the send, and the publisher starts afresh.
    else if (Date.now() - this.metadata.fetchedAt > METADATA_MAX_AGE_MS) this.refresh().catch(() => undefined);
    const { partitions, leaders } = this.metadata!;
    const byPartition = new Map<number, PartitionRecords>();
    for (const env of envelopes) {
      const key = kafkaKey(env);
      const partition = this.partitioner({ topic: this.config.topic, partitionMetadata: partitions, message: { key, value: env.body } });
      let records = byPartition.get(partition);
      if (!records) byPartition.set(partition, (records = { partition, envelopes: [], keys: [] }));
      records.envelopes.push(env);
      records.keys.push(key);
    }
    const byLeader = new Map<number, PartitionRecords[]>();
    for (const records of byPartition.values()) {
      const leader = leaders[records.partition]!;
      if (leader < 0) throw new KafkaSendError(`partition ${records.partition} of ${this.config.topic} has no leader`);
      const led = byLeader.get(leader);
      if (led) led.push(records);
      else byLeader.set(leader, [records]);
    }
    await Promise.all([...byLeader].map(([leader, partitions]) => this.produce(leader, partitions)));
  }

  private async produce(leader: number, partitions: PartitionRecords[]): Promise<void> {
    const connection = this.connection(leader);
    await connection.connected;
    const correlationId = (this.correlationId = (this.correlationId + 1) & 0x7fffffff);
    const bytes = encodeProduceRequest({ correlationId, clientId: this.config.clientId, acks: -1, timeoutMs: this.config.publishTimeoutMs, topic: this.config.topic, partitions });
    const results = decodeProduceResponse(await connection.request(correlationId, bytes));
    for (const { partition } of partitions) {
      const result = results.find((r) => r.partition === partition);
      if (!result) throw new KafkaSendError(`Kafka broker ${connection.address} did not answer for partition ${partition}`);
      // Any error, retriable or not, goes to the caller: it has the local log and a retrying client.
      // The publisher then closes this producer, which drops the metadata: a moved leader or a
      // changed topic is looked up again before the next direct send.
      if (result.errorCode !== 0) throw new KafkaSendError(`Kafka broker ${connection.address} refused partition ${partition} (error code ${result.errorCode})`);
    }
  }

  private connection(leader: number): BrokerConnection {
    const existing = this.connections.get(leader);
    if (existing?.usable) return existing;
    const broker = this.metadata!.brokers.get(leader);
    if (!broker) throw new KafkaSendError(`Kafka broker ${leader} (a partition leader) is not in the cluster metadata`);
    const connection = new BrokerConnection(`${broker.host}:${broker.port}`, broker.host, broker.port);
    this.connections.set(leader, connection);
    return connection;
  }

  /** Drops every connection; the next send connects again, with fresh metadata. */
  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
    this.metadata = undefined;
  }
}
