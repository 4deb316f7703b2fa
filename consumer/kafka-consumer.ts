// Moves events from the Kafka topic into the store as a consumer group member.
// Batches come from the broker: a fetch returns when `minBytes` have gathered or after
// BATCH_MAX_WAIT_MS (size or age), and is cut into inserts of at most BATCH_MAX_ROWS.
// Offsets are committed by hand, only after the rows are stored; a failing store is retried
// with backoff while the partition is paused, and nothing past unstored data is committed.
// After a rebalance the new owner re-reads from the last commit; store-batch.ts's token and key
// check make that replay harmless.
//
// Pipelined: kafkajs fetches again only once every batch of the last fetch is handled, so
// eachBatch only hands a batch over: its conversion to the conversion queue (one batch at a
// time, in arrival order, so that the first is ready first) and its insert and commit to its
// partition's chain. kafkajs then fetches and decodes the next fetch while the engine inserts
// this one. Per partition, inserts and commits stay in offset order and eachBatch waits for the
// previous batch to be stored, so the fetch runs at most one fetch ahead of the engine. A chain
// that cannot store a batch (stopping, a seek, a rebalance) stores and commits nothing after it
// in the same group generation.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
import type { Metrics } from '../core/metrics.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import { fromKafkaMessage } from '../queue/kafka-message.js';
import { prepareTopic } from '../queue/kafka-topic.js';
import type { Store } from '../store/store.js';
import { retryUntilDone } from '../core/retry.js';
import { PartitionBacklog } from './partition-backlog.js';
import { BatchStages } from './batch-stages.js';
import type { PreparedBatch } from './store-batch.js';

/** One batch on its partition's chain. */
interface ChainWork extends Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale' | 'pause'> {
  topic: string;
  partition: number;
  chunk: QueuedEnvelope[];
  queueName: string;
  epoch: number;
  /** Its conversion, once started (cleared when it failed, so that a retry starts it again). */
  prepared?: Promise<PreparedBatch>;
}

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
  /** Events not yet stored, per partition owned. */
  private readonly backlog: PartitionBacklog;
  /** Per partition: the inserts and commits handed over by eachBatch, in offset order. */
  private readonly chains = new Map<number, Promise<void>>();
  /** Bumped when a rebalance starts or the member joins: a chain's work from before commits nothing. */
  private epoch = 0;
  /** Per partition: the epoch in which its chain gave up on a batch (later batches of that epoch are not stored). */
  private readonly broken = new Map<number, number>();
  /** Conversions and inserts, shared by the partitions' chains. */
  private readonly stages = new BatchStages();
  /** eachBatch calls running now. */
  private handling = 0;

  constructor(private readonly opts: KafkaReplyConsumerOptions) {
    this.backlog = new PartitionBacklog(opts.metrics?.queueBacklog);
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
      this.backlog.clear();
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
      // eachBatch only hands batches over (see handle); two at a time as before.
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

  /**
   * Hands the batch's conversion to the conversion queue and its insert and commit to the
   * partition's chain, then returns once the partition's previous batch is stored: kafkajs
   * fetches and decodes the next fetch while this one is converted and inserted, but never
   * runs further ahead than that.
   */
  private async handle({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { maxRows } = this.opts;
    const queueName = `kafka:${batch.topic}`;
    const epoch = this.epoch;
    const { partition } = batch;
    const items: QueuedEnvelope[] = batch.messages.map((m) => ({ envelope: fromKafkaMessage(m), partition, offset: Number(m.offset) }));
    this.backlog.fetched(partition, Number(batch.highWatermark), items[0]?.offset);
    const before = this.chains.get(partition) ?? Promise.resolve();
    for (let i = 0; i < items.length; i += maxRows) {
      const chunk = items.slice(i, i + maxRows);
      const previous = this.chains.get(partition) ?? Promise.resolve();
      const work: ChainWork = { topic: batch.topic, partition, chunk, queueName, epoch, heartbeat, isRunning, isStale, pause };
      // Converted while earlier batches are inserted.
      work.prepared = this.stages.convert(chunk, queueName);
      // Awaited on the chain; this only keeps a failure from counting as unhandled meanwhile.
      work.prepared.catch(() => undefined);
      const stored = previous.then(() => this.storeAndCommit(work));
      this.chains.set(
        partition,
        stored.catch((err: unknown) => {
          this.broken.set(partition, epoch);
          this.opts.logger.error({ err, partition }, "a stored batch's commit failed");
        }),
      );
    }
    await before;
    // kafkajs fetches this partition from past the batch next; the commit waits for the chain.
    if (items.length > 0) resolveOffset(batch.messages.at(-1)!.offset);
  }

  private async storeAndCommit(work: ChainWork): Promise<void> {
    const { store, metrics, logger } = this.opts;
    const { topic, partition, chunk, epoch } = work;
    const last = chunk.at(-1)!.offset;
    let resume: (() => void) | undefined;
    // Lost the partition (rebalance), a seek, or stopping: nothing from here on is stored or
    // committed in this epoch; its next owner (or this member after rejoining) re-reads it.
    const giveUp = () => !work.isRunning() || work.isStale() || this.epoch !== epoch || this.broken.get(partition) === epoch;
    let stale = false;
    try {
      await retryUntilDone(
        async () => {
          if (giveUp()) return void (stale = true);
          // A conversion that failed is done again.
          const prepared = await (work.prepared ??= this.stages.convert(chunk, work.queueName)).catch((err: unknown) => {
            work.prepared = undefined;
            throw err;
          });
          await this.stages.store(store, prepared, metrics);
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
    work.prepared = undefined;
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
    this.backlog.stored(partition, last + 1);
    this.opts.onBatch?.(partition, chunk.length);
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
    while (!this.abort.signal.aborted) {
      const pending = [...this.chains.values()];
      await Promise.all(pending);
      const settled = this.handling === 0 && pending.length === this.chains.size && [...this.chains.values()].every((c, i) => c === pending[i]);
      if (settled) break;
      await sleep(10);
    }
    await this.consumer.disconnect();
    clearTimeout(timer);
    this.abort.abort();
  }
}
