// The embedded consumer on a thread of its own, at the lowest CPU priority.
//
// Why: in `npm start` the receiver, the log and the consumer share one process. On the
// receiver's thread, the consumer's JavaScript (decoding, validating and encoding 20,000 rows a
// batch) and its garbage delayed webhooks' answers by tens of milliseconds (BENCHMARKS.md, p99
// at half load). On its own thread it has its own heap, and the OS scheduler, not the event
// loop, shares the core: a webhook's answer preempts a batch.
//
// The worker (background-consumer-worker.ts) reads the log's segment files itself
// (queue/log-follower.ts), opens its own sessions on the same chDB data directory, and
// sends back commits, metrics and errors. This thread keeps the log's writer, its position
// file and the process's metrics registry.
//
// A stopped worker is parked, never ended: a thread that ends while it has used chDB can leave
// the engine hung for the rest of the process (seen with chdb 3.4: the next query on the main
// thread never returned), so the worker closes its sessions, waits, and is unref'd so it does
// not keep the process alive.
import { Worker } from 'node:worker_threads';
import type { Config } from '../core/config.js';
import type { Metrics } from '../core/metrics.js';
import type { EmbeddedLog } from '../queue/embedded-log.js';
import type { LogExtent, LogHandOff } from '../queue/log-extent.js';
import { replayMetricCall, type MetricCall } from './consumer-metrics.js';
import type { EmbeddedConsumerOptions } from './embedded-consumer.js';

/** An error as it crosses threads (class and extra fields do not survive a structured clone). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export type ToConsumerWorker = { type: 'extent'; extent: LogExtent } | { type: 'committed'; seq: number } | { type: 'commit-failed'; seq: number; message: string } | { type: 'stop'; drainTo: number };

export type FromConsumerWorker =
  | { type: 'want-extent'; after: number }
  | { type: 'commit'; seq: number }
  | { type: 'metrics'; calls: MetricCall[] }
  | { type: 'batch'; rows: number }
  | { type: 'error'; error: SerializedError; fatal: boolean }
  | { type: 'stopped' };

/** As EmbeddedConsumerOptions, but the log is handed over and the store opened on the thread. */
export interface BackgroundConsumerOptions extends Pick<EmbeddedConsumerOptions, 'queueName' | 'maxRows' | 'maxWaitMs' | 'onBatch'> {
  log: EmbeddedLog;
  /** What the thread opens its own store with (store/open-store.ts). */
  store: Pick<Config, 'dataDir' | 'clickhouse'>;
  metrics?: Metrics;
  onError?: (err: Error) => void;
}

/** What the thread starts from. */
export interface ConsumerWorkerData extends Pick<BackgroundConsumerOptions, 'store' | 'queueName' | 'maxRows' | 'maxWaitMs'> {
  handOff: LogHandOff;
}

// Longer than the consumer's own bounds on draining the log and on its final flush (embedded-consumer.ts).
const STOP_TIMEOUT_MS = 30_000;

export class BackgroundConsumer {
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;
  private readonly stopped: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly opts: BackgroundConsumerOptions,
  ) {
    let markStopped!: () => void;
    this.stopped = new Promise((resolve) => (markStopped = resolve));
    worker.on('message', (message: FromConsumerWorker) => {
      if (message.type === 'stopped') {
        worker.unref();
        markStopped();
      } else {
        this.handle(message);
      }
    });
    // Not expected (the worker catches its own errors), but then the consumer is gone.
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (!this.stopping) this.fail(new Error(`the consumer thread ended unexpectedly (exit code ${code})`));
      markStopped();
    });
  }

  /** Hands the log's reading to a new consumer thread and starts it. */
  static async start(opts: BackgroundConsumerOptions): Promise<BackgroundConsumer> {
    let worker: Worker | undefined;
    // Extents are sent only when the worker asks (its first request comes after it started), so
    // the worker exists by then.
    const handOff = await opts.log.handOffReading((extent) => worker?.postMessage({ type: 'extent', extent } satisfies ToConsumerWorker));
    const workerData: ConsumerWorkerData = { store: opts.store, queueName: opts.queueName, maxRows: opts.maxRows, maxWaitMs: opts.maxWaitMs, handOff };
    worker = new Worker(new URL('./background-consumer-boot.js', import.meta.url), { workerData, name: 'consumer' });
    return new BackgroundConsumer(worker, opts);
  }

  /** False once the consumer stopped on an error it cannot retry (a damaged log, a lost thread). */
  get healthy(): boolean {
    return this.failure === undefined;
  }

  private handle(message: Exclude<FromConsumerWorker, { type: 'stopped' }>): void {
    const { log, metrics } = this.opts;
    switch (message.type) {
      case 'want-extent':
        log.requestExtent(message.after);
        return;
      case 'commit': {
        const { seq } = message;
        log.commit(seq).then(
          () => this.post({ type: 'committed', seq }),
          (err: unknown) => this.post({ type: 'commit-failed', seq, message: (err as Error).message }),
        );
        return;
      }
      case 'metrics':
        if (metrics) for (const call of message.calls) replayMetricCall(metrics, call);
        return;
      case 'batch':
        this.opts.onBatch?.(message.rows);
        return;
      case 'error': {
        const err = Object.assign(new Error(message.error.message), message.error);
        if (message.fatal) this.fail(err);
        else this.opts.onError?.(err);
        return;
      }
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.opts.onError?.(err);
  }

  private post(message: ToConsumerWorker): void {
    this.worker.postMessage(message);
  }

  /**
   * Stores and commits every record durable by now (bounded in time: the rest stays on the log
   * for the next start), then stops. Called once the receiver has stopped, that is everything
   * acknowledged.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.post({ type: 'stop', drainTo: this.opts.log.end });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
      await Promise.race([this.stopped, timedOut]);
      clearTimeout(timer);
      this.worker.unref();
    })();
    return this.stopping;
  }
}
