// The backlog gauge of a Kafka group member: events its partitions hold past what it stored.
// Updated on every fetch as well as every commit, so a store that fails from the first batch on
// still shows its backlog (the pipeline-stalled alert reads it; README, "Alerts").
import type { Gauge } from 'prom-client';

export class PartitionBacklog {
  /** Highest high watermark seen per partition. */
  private readonly end = new Map<number, number>();
  /** Next offset to store per partition: after the last commit, else the first fetched. */
  private readonly next = new Map<number, number>();

  constructor(private readonly gauge?: Gauge) {}

  /** A fetched batch: the partition's end and, before any commit, where its unstored events start. */
  fetched(partition: number, highWatermark: number, firstOffset: number | undefined): void {
    this.end.set(partition, Math.max(highWatermark, this.end.get(partition) ?? 0));
    if (!this.next.has(partition) && firstOffset !== undefined) this.next.set(partition, firstOffset);
    this.publish();
  }

  /** Events up to `nextOffset` are stored and committed. */
  stored(partition: number, nextOffset: number): void {
    this.next.set(partition, Math.max(nextOffset, this.next.get(partition) ?? 0));
    this.publish();
  }

  /** After a rebalance the partitions owned before are another member's to report. */
  clear(): void {
    this.end.clear();
    this.next.clear();
    this.publish();
  }

  private publish(): void {
    let total = 0;
    for (const [partition, next] of this.next) total += Math.max(0, (this.end.get(partition) ?? next) - next);
    this.gauge?.set(total);
  }
}
