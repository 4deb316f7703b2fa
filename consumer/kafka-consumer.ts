// Moves events from the Kafka topic into the store as a consumer group member.
// Batches come from the broker: a fetch returns when `minBytes` have gathered or after
// BATCH_MAX_WAIT_MS (size or age), and is cut into inserts of at most BATCH_MAX_ROWS.
// Offsets are committed by hand, only after the rows are stored; a failing store is retried
// with backoff while the partition is paused, and nothing past unstored data is committed.
// After a rebalance the new owner re-reads from the last commit; store-batch.ts's token and key
// check make that replay harmless.
//
// Pipelined: eachBatch converts a batch's rows and hands its insert and commit to the
// partition's chain, then returns, so kafkajs fetches and decodes the next fetch while the engine
// inserts (kafkajs fetches again only once every batch of the last fetch is handled). Per
// partition one insert runs while the next batch is converted, and inserts and commits stay in
// offset order. A chain that cannot store a batch (stopping, a seek, a rebalance) stores and
// commits nothing after it in the same group generation.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { PreparedBatch } from './store-batch.js';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
import type { Metrics } from '../core/metrics.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import { fromKafkaMessage } from '../queue/kafka-message.js';
import { prepareTopic } from '../queue/kafka-publisher.js';
import type { Store } from '../store/store.js';
import { retryUntilDone } from './retry.js';
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
  /** Per partition: the inserts and commits handed over by eachBatch, in offset order. */
  private readonly chains = new Map<number, Promise<void>>();
  /** Bumped when a rebalance starts: a chain's work from before it commits nothing. */
  private epoch = 0;
  /** Per partition: the epoch in which its chain gave up on a batch (later batches of that epoch are not stored). */
  private readonly broken = new Map<number, number>();
  /** eachBatch calls running now. */
  private handling = 0;

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
    this.consumer.on(this.consumer.events.REBALANCING, () => void this.epoch++);
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.epoch++;
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
      // Two partitions' batches converted at a time; their inserts run on the partitions'
      // chains meanwhile (see handle). Each partition's batches are stored and committed in order.
      partitionsConsumedConcurrently: 2,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        this.handling++;
        try {
          await this.handle(payload);
        } finally {
          this.handling--;
        }
      },
    });
  }

  private async handle({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { maxRows } = this.opts;
    const queueName = `kafka:${batch.topic}`;
    const epoch = this.epoch;
    const items: QueuedEnvelope[] = batch.messages.map((m) => ({ envelope: fromKafkaMessage(m), partition: batch.partition, offset: Number(m.offset) }));
    for (let i = 0; i < items.length; i += maxRows) {
      const chunk = items.slice(i, i + maxRows);
      // Converted while this partition's previous insert (and other partitions' work) runs.
      const prepared = await prepareBatch(chunk, queueName);
      const previous = this.chains.get(batch.partition) ?? Promise.resolve();
      // At most one insert waiting per partition: the fetch does not run ahead of the engine.
      await previous;
      const stored = this.storeAndCommit({ topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, prepared, last: chunk.at(-1)!.offset, epoch, heartbeat, isRunning, isStale, pause });
      this.chains.set(
        batch.partition,
        stored.catch((err: unknown) => {
          this.broken.set(batch.partition, epoch);
          this.opts.logger.error({ err, partition: batch.partition }, 'a stored batch\'s follow-up failed');
        }),
      );
    }
    // kafkajs fetches this partition from past the batch next; the commit waits for the chain.
    if (items.length > 0) resolveOffset(batch.messages.at(-1)!.offset);
  }

  private async storeAndCommit(work: {
    topic: string;
    partition: number;
    highWatermark: string;
    prepared: PreparedBatch;
    last: number;
    epoch: number;
    heartbeat: () => Promise<void>;
    isRunning: () => boolean;
    isStale: () => boolean;
    pause: () => () => void;
  }): Promise<void> {
    const { store, metrics, logger } = this.opts;
    const { topic, partition, prepared, last, epoch } = work;
    let resume: (() => void) | undefined;
    // Lost the partition (rebalance), a seek, or stopping: nothing from here on is stored or
    // committed in this epoch; its next owner (or this member after rejoining) re-reads it.
    const giveUp = () => !work.isRunning() || work.isStale() || this.epoch !== epoch || this.broken.get(partition) === epoch;
    let stale = false;
    try {
      await retryUntilDone(
        async () => {
          if (giveUp()) return void (stale = true);
          await storePrepared(store, prepared, metrics);
        },
        {
          signal: this.abort.signal,
          onError: (err, attempt) => {
            metrics?.storeFailures.inc();
            resume ??= work.pause();
            logger.error({ err, attempt, partition }, 'storing a batch failed; partition paused, retrying');
            work.heartbeat().catch(() => undefined);
          },
        },
      );
    } catch {
      stale = true; // stopping while the store fails: nothing committed, nothing lost
    } finally {
      resume?.();
    }
    if (!stale) {
      try {
        // A failed commit is retried (the rows are stored); a rebalance meanwhile ends the tries,
        // and the partition's next owner re-reads from the last commit (harmless, store-batch.ts).
        await retryUntilDone(
          async () => {
            if (this.epoch !== epoch) return void (stale = true);
            await this.consumer.commitOffsets([{ topic, partition, offset: String(last + 1) }]);
          },
          { signal: this.abort.signal, onError: (err, attempt) => logger.warn({ err, attempt, partition }, 'committing a stored batch failed; retrying') },
        );
      } catch {
        stale = true;
      }
    }
    if (stale) {
      // Later batches of this epoch must not be committed past this one. Nothing else to undo:
      // stopping, a rebalance (kafkajs re-reads from the commits on joining) and a seek (kafkajs
      // fetches from it) all move kafkajs's position back by themselves.
      this.broken.set(partition, epoch);
      return;
    }
    work.heartbeat().catch(() => undefined);
    this.setLag(partition, Number(work.highWatermark) - (last + 1));
    this.opts.onBatch?.(partition, prepared.size);
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
    // No new fetches; the batches handed over are stored and committed while still in the group.
    try {
      this.consumer.pause([{ topic: this.opts.config.topic }]);
    } catch {
      // not running yet: nothing handed over
    }
    for (;;) {
      const pending = [...this.chains.values()];
      await Promise.all(pending);
      const same = pending.length === this.chains.size && [...this.chains.values()].every((c, i) => c === pending[i]);
      if ((same && this.handling === 0) || this.abort.signal.aborted) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.consumer.disconnect();
    clearTimeout(timer);
    this.abort.abort();
  }
}
