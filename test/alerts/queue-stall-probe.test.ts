// The in-process stall check over the process's own metrics: events waiting at an earlier
// sample that have not been processed since.
import { describe, expect, it } from 'vitest';
import { queueStallProbe } from '../../alerts/queue-stall-probe.js';
import { createMetrics } from '../../core/metrics.js';

const MIN = 60_000;

describe('queueStallProbe', () => {
  it('fires when events waiting five minutes ago are still not stored, and not before', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const probe = queueStallProbe(metrics, 5);
    metrics.queueBacklog.set(10);
    expect(await probe(0)).toBeUndefined();
    metrics.storedRows.inc({ table: 'human_agent_replies' }, 9);
    expect(await probe(4 * MIN)).toBeUndefined();
    expect(await probe(5 * MIN)).toEqual({ minutes: 5, backlog: 10 });
    metrics.duplicatesSkipped.inc(1);
    expect(await probe(6 * MIN)).toBeUndefined();
  });

  it('a busy queue that keeps moving never fires', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const probe = queueStallProbe(metrics, 5);
    for (let minute = 0; minute <= 20; minute++) {
      metrics.queueBacklog.set(500);
      expect(await probe(minute * MIN)).toBeUndefined();
      metrics.storedRows.inc({ table: 'human_agent_replies' }, 1_000);
    }
  });

  it('an empty queue never fires, however long nothing is stored', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const probe = queueStallProbe(metrics, 5);
    for (let minute = 0; minute <= 20; minute++) expect(await probe(minute * MIN)).toBeUndefined();
  });
});

describe('queueStallProbe with a stale backlog gauge', () => {
  it('events accepted since (published) count as waiting when the consumer no longer updates the gauge', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const probe = queueStallProbe(metrics, 5);
    metrics.queueBacklog.set(0);
    expect(await probe(0)).toBeUndefined();
    metrics.published.inc({ kind: 'reply' }, 3);
    expect(await probe(MIN)).toBeUndefined();
    expect(await probe(6 * MIN)).toEqual({ minutes: 5, backlog: 3 });
    metrics.storedRows.inc({ table: 'human_agent_replies' }, 3);
    expect(await probe(7 * MIN)).toBeUndefined();
  });
});
