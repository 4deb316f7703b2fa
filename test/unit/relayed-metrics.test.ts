// The consumer thread's metrics reach the main thread in order with its other messages.
import { describe, expect, it } from 'vitest';
import { relayedMetrics, type MetricCall } from '../../consumer/consumer-metrics.js';

describe('relayed metrics', () => {
  it('sends the calls of one synchronous run as one message, after the run', async () => {
    const sent: MetricCall[][] = [];
    const { metrics } = relayedMetrics((calls) => sent.push(calls));
    metrics.queueBacklog.set(5);
    metrics.duplicatesSkipped.inc(2);
    expect(sent).toEqual([]);
    await Promise.resolve();
    expect(sent).toEqual([
      [
        { metric: 'queueBacklog', method: 'set', args: [5] },
        { metric: 'duplicatesSkipped', method: 'inc', args: [2] },
      ],
    ]);
  });

  it('flush sends what was recorded at once, so a message posted next comes after it, and nothing is sent twice', async () => {
    const posted: string[] = [];
    const relay = relayedMetrics((calls) => posted.push(`metrics ${calls.map((c) => `${c.metric}=${String(c.args[0])}`).join(',')}`));
    relay.metrics.queueBacklog.set(0);
    relay.flush();
    posted.push('batch');
    await Promise.resolve();
    relay.flush();
    expect(posted).toEqual(['metrics queueBacklog=0', 'batch']);
  });
});
