import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PartitionBacklog } from '../../consumer/partition-backlog.js';

function backlog() {
  const gauge = new Gauge({ name: 'backlog', help: 'test', registers: [new Registry()] });
  const value = async () => (await gauge.get()).values[0]?.value;
  return { b: new PartitionBacklog(gauge), value };
}

describe('PartitionBacklog', () => {
  it('counts a fetched batch before anything is stored', async () => {
    const { b, value } = backlog();
    b.fetched(0, 50, 0);
    expect(await value()).toBe(50);
  });

  it('a batch committed after the next fetch leaves that fetch counted', async () => {
    const { b, value } = backlog();
    b.fetched(0, 100, 0); // offsets 0-99
    b.fetched(0, 150, 100); // 100-149 fetched while 0-99 is stored
    b.stored(0, 100);
    expect(await value()).toBe(50);
    b.stored(0, 150);
    expect(await value()).toBe(0);
  });

  it('sums partitions and forgets them on a rebalance', async () => {
    const { b, value } = backlog();
    b.fetched(0, 10, 0);
    b.fetched(1, 30, 20);
    expect(await value()).toBe(20);
    b.clear();
    expect(await value()).toBe(0);
    b.fetched(1, 30, 25); // reassigned: counts from its committed offset again
    expect(await value()).toBe(5);
  });
});
