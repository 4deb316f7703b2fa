// The metrics a consumer records, and how a consumer on another thread records them: its calls
// travel as messages that the main thread replays on the process's one registry (prom-client
// registries live in one thread, and /metrics is served by the main one).
import type { Metrics } from '../core/metrics.js';

/** The part of Metrics the consumers use; prom-client's objects satisfy it. */
export interface ConsumerMetrics {
  queueBacklog: { set(value: number): void };
  storeFailures: { inc(): void };
  batchRows: { observe(value: number): void };
  insertSeconds: { startTimer(labels: { table: string }): () => void };
  storedRows: { inc(labels: { table: string }, value: number): void };
  duplicatesSkipped: { inc(value: number): void };
  deadLetters: { inc(labels: { reason: string }): void };
}

/** One recorded call, as posted between threads. */
export type MetricCall =
  | { metric: 'queueBacklog'; method: 'set'; args: [number] }
  | { metric: 'storeFailures'; method: 'inc'; args: [] }
  | { metric: 'batchRows'; method: 'observe'; args: [number] }
  | { metric: 'insertSeconds'; method: 'observe'; args: [{ table: string }, number] }
  | { metric: 'storedRows'; method: 'inc'; args: [{ table: string }, number] }
  | { metric: 'duplicatesSkipped'; method: 'inc'; args: [number] }
  | { metric: 'deadLetters'; method: 'inc'; args: [{ reason: string }] };

/**
 * Consumer metrics that hand their calls to `send` instead of a registry: the calls made in one
 * synchronous run (a batch's, or a read's) go in one message, not one message each (a batch of
 * dead letters counts one call per row). `flush` sends the calls made so far at once: a thread
 * calls it before any other message, so that whoever hears "batch stored" sees its metrics too.
 */
export function relayedMetrics(send: (calls: MetricCall[]) => void): { metrics: ConsumerMetrics; flush: () => void } {
  let calls: MetricCall[] = [];
  const flush = () => {
    if (calls.length === 0) return;
    const batch = calls;
    calls = [];
    send(batch);
  };
  const record = (call: MetricCall) => {
    if (calls.length === 0) queueMicrotask(flush);
    calls.push(call);
  };
  const metrics: ConsumerMetrics = {
    queueBacklog: { set: (value) => record({ metric: 'queueBacklog', method: 'set', args: [value] }) },
    storeFailures: { inc: () => record({ metric: 'storeFailures', method: 'inc', args: [] }) },
    batchRows: { observe: (value) => record({ metric: 'batchRows', method: 'observe', args: [value] }) },
    insertSeconds: {
      startTimer: (labels) => {
        const started = performance.now();
        return () => record({ metric: 'insertSeconds', method: 'observe', args: [labels, (performance.now() - started) / 1000] });
      },
    },
    storedRows: { inc: (labels, value) => record({ metric: 'storedRows', method: 'inc', args: [labels, value] }) },
    duplicatesSkipped: { inc: (value) => record({ metric: 'duplicatesSkipped', method: 'inc', args: [value] }) },
    deadLetters: { inc: (labels) => record({ metric: 'deadLetters', method: 'inc', args: [labels] }) },
  };
  return { metrics, flush };
}

/** Replays a relayed call on the real metrics. */
export function replayMetricCall(metrics: Metrics, call: MetricCall): void {
  const target = metrics[call.metric] as unknown as Record<string, (...args: unknown[]) => void>;
  target[call.method]!(...call.args);
}
