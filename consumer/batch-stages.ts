// The two stages the pipelined Kafka consumer (kafka-consumer.ts) shares across partitions:
// conversions one at a time in arrival order, so that the first batch is ready first, and at
// most STORE_CONCURRENCY inserts at once.
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import type { Store } from '../store/store.js';
import { prepareBatch, storePrepared, type PreparedBatch } from './store-batch.js';

// Bounds the engine's work and the converted batches in flight; six at once were no faster
// (BENCHMARKS.md, "Kafka consumer, pipelined").
const STORE_CONCURRENCY = 2;

export class BatchStages {
  /** The last conversion handed over: each starts when the one before it ends. */
  private converting: Promise<unknown> = Promise.resolve();
  /** Inserts running now, and those waiting for a turn. */
  private storing = 0;
  private readonly turns: (() => void)[] = [];

  /** prepareBatch, queued behind the conversions handed over before it. */
  convert(chunk: QueuedEnvelope[], queueName: string): Promise<PreparedBatch> {
    const prepared = this.converting.then(() => prepareBatch(chunk, queueName));
    // The next conversion waits for this one to end, however it ends; its caller sees a failure.
    this.converting = prepared.catch(() => undefined);
    return prepared;
  }

  /** storePrepared, once an insert turn is free. */
  async store(store: Store, prepared: PreparedBatch, metrics?: ConsumerMetrics): Promise<void> {
    if (this.storing < STORE_CONCURRENCY) this.storing++;
    else await new Promise<void>((resolve) => this.turns.push(resolve));
    try {
      await storePrepared(store, prepared, metrics);
    } finally {
      // The turn passes straight to the next waiting insert, or is freed.
      const next = this.turns.shift();
      if (next) next();
      else this.storing--;
    }
  }
}
