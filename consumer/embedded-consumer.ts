// Moves events from the embedded log into the store: read in order, form a batch by size or
// age (whichever comes first), store it, then advance the log. A batch that cannot be stored
// is retried with backoff; meanwhile at most the next batch is read and converted, so a slow
// store makes the log grow on disk rather than memory.
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { ConsumerLog } from '../queue/log-follower.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import type { Store } from '../store/store.js';
import { retryUntilDone } from '../core/retry.js';
import { prepareBatch, storedKeysOf, storePrepared, type PreparedBatch, type StoredKeys } from './store-batch.js';

// Bytes read (and decoded, synchronously) per read call: about 2,000 typical events, a
// millisecond or two of this thread. A batch is gathered over several reads.
const READ_BYTES = 1024 * 1024;

// A batch is also full at this many bytes of bodies: a batch is held in memory (its bodies, and
// its rows encoded for the insert, about twice as much again), and bodies may be up to
// MAX_BODY_BYTES each, so BATCH_MAX_ROWS alone could ask for gigabytes. Typical events (about
// 500 bytes) fill BATCH_MAX_ROWS (20,000) long before this.
const MAX_BATCH_BODY_BYTES = 32 * 1024 * 1024;

// How long a stop may spend storing what is left on the log before it leaves the rest for the
// next start (which replays it); below BackgroundConsumer's own bound on a stop.
const DRAIN_MS = 15_000;

export interface EmbeddedConsumerOptions {
  /** The embedded log, or a follower of it on another thread. */
  log: ConsumerLog;
  /** Names the queue in insert tokens and stored rows; see queue/log-identity.ts. */
  queueName: string;
  store: Store;
  maxRows: number;
  maxWaitMs: number;
  /** Bodies' bytes that make a batch full (MAX_BATCH_BODY_BYTES when omitted). */
  maxBatchBytes?: number;
  metrics?: ConsumerMetrics;
  onError?: (err: unknown) => void;
  /** Called after each batch is stored and committed. */
  onBatch?: (rows: number) => void;
}

export class EmbeddedConsumer {
  private readonly abort = new AbortController();
  // Set by a draining stop: read up to here before stopping. `wake` ends the wait in progress
  // (one signal for both kinds of stop: a signal combined per wait would pile up listeners).
  private drainTo: number | undefined;
  private wake = new AbortController();
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly opts: EmbeddedConsumerOptions) {}

  start(): void {
    // A damaged log is not retriable: report it (and fail /readyz) instead of dying silently.
    this.running ??= this.loop().catch((err: unknown) => {
      this.failure = err;
      this.opts.onError?.(err);
    });
  }

  /** False once the consumer stopped on an error it cannot retry (a damaged log). */
  get healthy(): boolean {
    return this.failure === undefined;
  }

  private async loop(): Promise<void> {
    const { log, maxRows, maxWaitMs, queueName } = this.opts;
    const maxBatchBytes = this.opts.maxBatchBytes ?? MAX_BATCH_BODY_BYTES;
    let batch: QueuedEnvelope[] = [];
    let batchBytes = 0;
    let deadline = 0;
    // The previous batch being stored and committed while the next one is read and converted,
    // so the engine's insert and this thread's JavaScript run at the same time. Resolves false
    // if it was not committed (stopped while the store was failing): nothing after it may be.
    let previous: Promise<boolean> = Promise.resolve(true);
    let previousReplies: ReadonlyMap<string, unknown> = new Map();
    const drained = () => this.drainTo !== undefined && log.next >= this.drainTo;
    while (!this.abort.signal.aborted && !drained()) {
      // Never past the byte cap by more than one record (a read returns its first record whatever its size).
      const records = await log.read(maxRows - batch.length, Math.min(READ_BYTES, Math.max(1, maxBatchBytes - batchBytes)));
      if (records.length > 0 && batch.length === 0) deadline = Date.now() + maxWaitMs;
      for (const r of records) batchBytes += r.envelope.body.length;
      batch.push(...records);
      if (this.opts.metrics) this.opts.metrics.queueBacklog.set(log.backlog);
      const full = batch.length >= maxRows || batchBytes >= maxBatchBytes;
      if (batch.length > 0 && (full || Date.now() >= deadline || drained())) {
        const prepared = await prepareBatch(batch, queueName);
        // This batch's stored-key check runs during the previous batch's insert. Only this
        // consumer writes these rows, so the table then holds what the check found plus the
        // previous batch's keys (inserted, or found stored before it).
        const before = previousReplies;
        const stored = storedKeysOf(this.opts.store, prepared).then((found): StoredKeys => ({ has: (key) => found.has(key) || before.has(key) }));
        // Awaited by the flush below; this only keeps a failure from counting as unhandled meanwhile.
        stored.catch(() => undefined);
        if (!(await previous)) return;
        previous = this.flush(batch, prepared, stored);
        previousReplies = prepared.replies;
        // Awaited on the next round, as above.
        previous.catch(() => undefined);
        batch = [];
        batchBytes = 0;
      } else if (!drained()) {
        if (this.wake.signal.aborted && !this.abort.signal.aborted) this.wake = new AbortController();
        await log.waitForData(batch.length > 0 ? deadline - Date.now() : 60_000, this.wake.signal);
      }
    }
    // Clean shutdown: what was read is stored and committed before exiting.
    if (!(await previous)) return;
    if (batch.length > 0) await this.flush(batch, await prepareBatch(batch, queueName), undefined, true);
  }

  /** Stores and commits one batch; false when stopped before it could be stored. */
  private async flush(batch: QueuedEnvelope[], prepared: PreparedBatch, storedKeys?: Promise<StoredKeys>, final = false): Promise<boolean> {
    const { store, log, metrics } = this.opts;
    // On the final flush, give the store a bounded chance rather than waiting forever.
    const signal = final ? AbortSignal.timeout(10_000) : this.abort.signal;
    // The keys checked in advance serve the first attempt; a retry asks the store again.
    let known = storedKeys;
    const attempt = () => {
      const keys = known;
      known = undefined;
      return storePrepared(store, prepared, metrics, keys);
    };
    try {
      await retryUntilDone(attempt, {
        signal,
        onError: (err) => {
          metrics?.storeFailures.inc();
          this.opts.onError?.(err);
        },
      });
    } catch {
      return false; // Stopped while the store was failing: the events stay on the log for next time.
    }
    // The rows are stored; a position that cannot be written yet (a full disk) is retried like
    // the store, not fatal: until it is written, a restart replays the batch, which dedupes.
    try {
      await retryUntilDone(() => log.commit(batch.at(-1)!.offset + 1), { signal, onError: (err) => this.opts.onError?.(err) });
    } catch {
      return false;
    }
    metrics?.queueBacklog.set(log.backlog);
    this.opts.onBatch?.(batch.length);
    return true;
  }

  /**
   * Stops reading, stores and commits the current batch, and resolves when done. With
   * `drainTo`, first reads, stores and commits every record before it (all that was
   * acknowledged, once the receiver has stopped), for up to `drainMs`.
   */
  async stop(drainTo?: number, drainMs = DRAIN_MS): Promise<void> {
    if (drainTo !== undefined && this.running && !this.abort.signal.aborted) {
      this.drainTo = drainTo;
      this.wake.abort();
      const timer = setTimeout(() => this.stopNow(), drainMs);
      await this.running;
      clearTimeout(timer);
    }
    this.stopNow();
    await this.running;
  }

  private stopNow(): void {
    this.abort.abort();
    this.wake.abort();
  }
}
