// The stall the store cannot show while it lasts: replies accepted and waiting on the queue
// that nothing stores (a consumer that stopped, a store that refuses every insert). The queue is
// first in, first out, so the events that waited at an earlier sample are stored once as many
// events as were waiting then have been processed since; if fewer have, the oldest of them has
// waited at least since that sample.
import type { Metrics } from '../core/metrics.js';
import type { Evaluation } from './evaluate.js';

interface Sample {
  atMs: number;
  backlog: number;
  processed: number;
}

export interface StallReading {
  /** Minutes the oldest waiting event has waited at least. */
  minutes: number;
  backlog: number;
}

type Readable = { get(): Promise<{ values: { value: number }[] }> };
const total = async (metric: Readable) => (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);

/** Events stored, found stored already, or kept as dead letters: every way an event leaves the queue. */
async function processed(metrics: Metrics): Promise<number> {
  return (await total(metrics.storedRows)) + (await total(metrics.duplicatesSkipped)) + (await total(metrics.deadLetters));
}

export function queueStallProbe(metrics: Metrics, stallMinutes: number): (nowMs: number) => Promise<StallReading | undefined> {
  const samples: Sample[] = [];
  const stallMs = stallMinutes * 60_000;
  let first: { backlog: number; net: number } | undefined;
  return async (nowMs) => {
    const done = await processed(metrics);
    const gauge = (await metrics.queueBacklog.get()).values[0]?.value ?? 0;
    // The gauge is set when the consumer reads, so a stuck consumer leaves it stale; events this
    // process accepted (published) minus those processed since the first sample keep counting.
    const net = (await total(metrics.published)) - done;
    first ??= { backlog: gauge, net };
    const current: Sample = { atMs: nowMs, backlog: Math.max(gauge, first.backlog + net - first.net), processed: done };
    samples.push(current);
    // Only the newest sample at least stallMs old matters, and those after it.
    while (samples.length > 1 && samples[1]!.atMs <= nowMs - stallMs) samples.shift();
    const old = samples[0]!;
    if (old.atMs > nowMs - stallMs || old.backlog === 0) return undefined;
    if (current.processed - old.processed >= old.backlog) return undefined;
    return { minutes: (nowMs - old.atMs) / 60_000, backlog: current.backlog };
  };
}

/**
 * The evaluation with the queue's stall added to pipeline-stalled. Also when that rule's SQL
 * failed: a store that refuses queries (a ClickHouse server that is down) is the likeliest reason
 * for a stall, and the queue's watch does not need the store to see it.
 */
export function withQueueStall(evaluation: Evaluation, stall: StallReading | undefined): Evaluation {
  if (!stall) return evaluation;
  const firing = new Map(evaluation.firing);
  const instance = { rule: 'pipeline-stalled', labels: { check: 'queue_backlog' }, value: stall.minutes, values: { value: stall.minutes, backlog: stall.backlog } };
  firing.set('pipeline-stalled', [...(firing.get('pipeline-stalled') ?? []), instance]);
  return { ...evaluation, firing };
}
