// Moves events from the Kafka topic into the store as a consumer group member.
// Batches come from the broker: a fetch returns when `minBytes` have gathered or after
// BATCH_MAX_WAIT_MS (size or age), and is cut into inserts of at most BATCH_MAX_ROWS.
// Offsets are committed by hand, only after the rows are stored; a failing store is retried
// with backoff while the partition is paused, and nothing past unstored data is committed.
// After a rebalance the new owner re-reads from the last commit; store-batch.ts's token and key
// check make that replay harmless.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
import type { Metrics } from '../core/metrics.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import { fromKafkaMessage } from '../queue/kafka-message.js';
import { prepareTopic } from '../queue/kafka-topic.js';
import type { Store } from '../store/store.js';
import { retryUntilDone } from '../core/retry.js';
import { prepareBatch, storePrepared } from './store-batch.js';

export interface KafkaReplyConsumerOptions {
  kafka: Kafka;
  config: KafkaConfig;
  store: Store;
  maxRows: number;
  maxWaitMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** Called after each stored and committed insert, with its partition and row count. */
  onBatch?: (partition: number, rows: number) => void;
}

export class KafkaReplyConsumer {
  private readonly consumer: Consumer;
  private readonly abort = new AbortController();
  /** In the group and fetching: set on each join, cleared when the consumer crashes or stops (kafkajs rejoins after a crash). */
  private joined = false;
  /** Events not yet stored, per partition owned, as of the last stored batch's fetch. */
  private readonly lag = new Map<number, number>();

  constructor(private readonly opts: KafkaReplyConsumerOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.config.groupId,
      allowAutoTopicCreation: false,
      minBytes: 1024 * 1024,
      maxWaitTimeInMs: opts.maxWaitMs,
      // Smaller fetches drained faster than larger ones here: kafkajs decodes a whole fetch before
      // the first batch is stored, and its garbage grows with it (BENCHMARKS.md, "Consumer fetch size").
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      // A crashed member holds its partitions until this expires; heartbeats continue during store retries.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      // Partitions owned before the rebalance are another member's to report now.
      this.lag.clear();
      this.opts.metrics?.queueBacklog.set(0);
      opts.logger.info({ assignment: payload.memberAssignment }, 'joined the consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      opts.logger.error({ err: payload.error, restart: payload.restart }, 'Kafka consumer crashed');
    });
    this.consumer.on(this.consumer.events.STOP, () => (this.joined = false));
  }

  /** True once the consumer is in its group. */
  get ready(): boolean {
    return this.joined && !this.abort.signal.aborted;
  }

  async start(): Promise<void> {
    await prepareTopic(this.opts.kafka, this.opts.config);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.config.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      // Two partitions' batches at a time: one is converted in JavaScript while the engine
      // inserts the other. Each partition still has one batch in flight, in order.
      partitionsConsumedConcurrently: 2,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handle(payload),
    });
  }

  private async handle({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { store, maxRows, metrics } = this.opts;
    const queueName = `kafka:${batch.topic}`;
    const items: QueuedEnvelope[] = batch.messages.map((m) => ({ envelope: fromKafkaMessage(m), partition: batch.partition, offset: Number(m.offset) }));
    const chunks: QueuedEnvelope[][] = [];
    for (let i = 0; i < items.length; i += maxRows) chunks.push(items.slice(i, i + maxRows));
    // The next chunk is converted while the engine inserts the current one.
    let next = chunks.length > 0 ? prepareBatch(chunks[0]!, queueName) : undefined;
    for (const [i, chunk] of chunks.entries()) {
      const prepared = await next!;
      next = i + 1 < chunks.length ? prepareBatch(chunks[i + 1]!, queueName) : undefined;
      let resume: (() => void) | undefined;
      let stale = false;
      try {
        await retryUntilDone(
          async () => {
            // Lost the partition (rebalance) or stopping: leave it uncommitted for its next owner.
            if (!isRunning() || isStale()) return void (stale = true);
            await storePrepared(store, prepared, metrics);
          },
          {
            signal: this.abort.signal,
            onError: (err, attempt) => {
              metrics?.storeFailures.inc();
              resume ??= pause();
              this.opts.logger.error({ err, attempt, partition: batch.partition }, 'storing a batch failed; partition paused, retrying');
              heartbeat().catch(() => undefined);
            },
          },
        );
      } catch {
        return; // stopping while the store fails: nothing committed, nothing lost
      } finally {
        resume?.();
      }
      if (stale) return;
      const last = chunk.at(-1)!.offset;
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(last + 1) }]);
      resolveOffset(String(last));
      await heartbeat();
      this.setLag(batch.partition, Number(batch.highWatermark) - (last + 1));
      this.opts.onBatch?.(batch.partition, chunk.length);
    }
  }

  /** The backlog gauge: what this member's partitions hold past their stored events, summed. */
  private setLag(partition: number, events: number): void {
    this.lag.set(partition, Math.max(0, events));
    let total = 0;
    for (const n of this.lag.values()) total += n;
    this.opts.metrics?.queueBacklog.set(total);
  }

  /** Stops fetching, lets the current batch finish storing and committing, leaves the group. */
  async stop(): Promise<void> {
    // A store that keeps failing must not hold shutdown forever: give it a bounded chance.
    const timer = setTimeout(() => this.abort.abort(), 10_000);
    await this.consumer.disconnect();
    clearTimeout(timer);
    this.abort.abort();
  }
}
