// Ingest's fast path to Kafka: one connection per partition leader, one Produce request per
// leader for a whole group of envelopes, encoded without kafkajs (produce-request.ts), over TLS
// and SASL when configured (broker-connection.ts). Cluster metadata (leaders, their addresses)
// comes from kafkajs's admin client. It is a fast path, not a client: it does not retry.
// Anything unusual (a broker error code, a closed socket, a moved leader) rejects the send, and
// KafkaPublisher then keeps the events in the local durable log and forwards them with kafkajs's
// producer, which retries and follows leaders.
import type { Kafka, PartitionMetadata } from 'kafkajs';
import type { KafkaConfig } from '../../core/config.js';
import type { Envelope } from '../envelope.js';
import { toRecord } from '../kafka-message.js';
import { javaCompatiblePartitioner } from '../kafka-partitioner.js';
import { BrokerConnection, KafkaSendError } from './broker-connection.js';
import type { KafkaSender } from './kafka-sender.js';
import { decodeProduceResponse, encodeProduceRequest, type PartitionRecords } from './produce-request.js';

/** Metadata older than this is fetched again before the next send, as kafkajs's metadataMaxAge does. */
const METADATA_MAX_AGE_MS = 300_000;

interface Metadata {
  /** The topic's partitions, as the partitioner reads them. */
  partitions: PartitionMetadata[];
  /** Leader node id of each partition, by partition id; -1 when it has none. */
  leaders: number[];
  /** Node id -> host:port. */
  brokers: Map<number, { host: string; port: number }>;
  fetchedAt: number;
}

export class DirectSender implements KafkaSender {
  private metadata: Metadata | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly connections = new Map<number, BrokerConnection>();
  // The same choice of partition as the forwarding path's kafkajs producer (kafka-publisher.ts).
  private readonly partitioner = javaCompatiblePartitioner();

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaConfig,
  ) {}

  refresh(): Promise<void> {
    this.refreshing ??= this.fetchMetadata()
      .then(() => this.warmUp())
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Opens the leaders' connections now, so the first webhook does not wait for a TLS handshake and SASL; a failure shows at that send. */
  private warmUp(): void {
    for (const leader of new Set(this.metadata!.leaders)) if (leader >= 0 && this.metadata!.brokers.has(leader)) this.connection(leader);
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

  async send(envelopes: Envelope[]): Promise<void> {
    if (!this.metadata) await this.refresh();
    // Aged metadata is renewed beside the send, not before it: webhooks wait for this send. A
    // leader that moved meanwhile refuses the send, and the publisher starts afresh.
    else if (Date.now() - this.metadata.fetchedAt > METADATA_MAX_AGE_MS) this.refresh().catch(() => undefined);
    const { partitions, leaders } = this.metadata!;
    const byPartition = new Map<number, PartitionRecords>();
    for (const env of envelopes) {
      const record = toRecord(env);
      const partition = this.partitioner({ topic: this.config.topic, partitionMetadata: partitions, message: { key: record.key, value: record.value } });
      const same = byPartition.get(partition);
      if (same) same.records.push(record);
      else byPartition.set(partition, { partition, records: [record] });
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
    const { clientId, publishTimeoutMs, topic } = this.config;
    const response = await connection.call((correlationId) => encodeProduceRequest({ correlationId, clientId, acks: -1, timeoutMs: publishTimeoutMs, topic, partitions }));
    const results = decodeProduceResponse(response);
    for (const { partition } of partitions) {
      const result = results.find((r) => r.partition === partition);
      if (!result) throw new KafkaSendError(`Kafka broker ${connection.address} did not answer for partition ${partition}`);
      // Any error, retriable or not, goes to the caller: it has the local log and a retrying client.
      // The publisher then closes this sender, which drops the metadata: a moved leader or a
      // changed topic is looked up again before the next direct send.
      if (result.errorCode !== 0) throw new KafkaSendError(`Kafka broker ${connection.address} refused partition ${partition} (error code ${result.errorCode})`);
    }
  }

  private connection(leader: number): BrokerConnection {
    const existing = this.connections.get(leader);
    if (existing?.usable) return existing;
    existing?.retire();
    const broker = this.metadata!.brokers.get(leader);
    if (!broker) throw new KafkaSendError(`Kafka broker ${leader} (a partition leader) is not in the cluster metadata`);
    const connection = new BrokerConnection(`${broker.host}:${broker.port}`, broker.host, broker.port, this.config.clientId, this.config.security);
    this.connections.set(leader, connection);
    return connection;
  }

  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
    this.metadata = undefined;
  }
}
