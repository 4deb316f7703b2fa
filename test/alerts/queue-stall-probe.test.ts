// The in-process stall check over the process's own metrics: events waiting at an earlier
// sample that have not been processed since.
import { describe, expect, it } from 'vitest';
import { reconcile, emptyState } from '../../alerts/alert-state.js';
import type { Evaluation } from '../../alerts/evaluate.js';
import { queueStallProbe, withQueueStall } from '../../alerts/queue-stall-probe.js';
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

describe('withQueueStall', () => {
  const stall = { minutes: 6, backlog: 40 };

  it("adds the queue_backlog instance beside the SQL rule's own", () => {
    const sqlLag = { rule: 'pipeline-stalled', labels: { check: 'stored_lag' }, value: 7, values: { value: 7 } };
    const evaluation: Evaluation = { firing: new Map([['pipeline-stalled', [sqlLag]]]), failed: new Map() };
    const merged = withQueueStall(evaluation, stall);
    expect(merged.firing.get('pipeline-stalled')!.map((i) => i.labels.check)).toEqual(['stored_lag', 'queue_backlog']);
    expect(evaluation.firing.get('pipeline-stalled')).toHaveLength(1);
    expect(withQueueStall(evaluation, undefined)).toBe(evaluation);
  });

  it("fires even when the rule's SQL failed (the store is down), keeping what the SQL had found", () => {
    const before = reconcile(emptyState(), { firing: new Map([['pipeline-stalled', [{ rule: 'pipeline-stalled', labels: { check: 'stored_lag' }, value: 7, values: {} }]]]), failed: new Map() }, 't0');
    const failed: Evaluation = { firing: new Map(), failed: new Map([['pipeline-stalled', 'Connection refused']]) };
    const next = reconcile(before, withQueueStall(failed, stall), 't1');
    expect(next.alerts.map((a) => [a.labels.check, a.state, a.startsAt])).toEqual([
      ['queue_backlog', 'firing', 't1'],
      ['stored_lag', 'firing', 't0'],
    ]);
    expect(next.failed).toEqual({ 'pipeline-stalled': 'Connection refused' });
  });
});
