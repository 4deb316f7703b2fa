// The embedded log as seen by a consumer on another thread: it reads the segment files itself
// and learns what is durable from the writer's messages (EmbeddedLog.handOffReading), asking for
// the next extent as soon as it has one, so one is always on its way and never more than one;
// commits go back to the writer, which owns the position file and deletes finished segments.
import { DataWaiters } from './data-waiters.js';
import type { QueuedEnvelope } from './envelope.js';
import type { LogExtent, LogHandOff } from './log-extent.js';
import { SegmentReader } from './segment-reader.js';

/** What a consumer needs of its queue; EmbeddedLog and LogFollower both provide it. */
export interface ConsumerLog {
  read(maxRecords: number, maxBytes?: number): Promise<QueuedEnvelope[]>;
  waitForData(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  commit(nextSeq: number): Promise<void>;
  /** Records durable but not yet committed. */
  readonly backlog: number;
  /** Sequence number of the next record read() returns. */
  readonly next: number;
}

export class LogFollower implements ConsumerLog {
  private extent: LogExtent;
  private committedSeq: number;
  private readonly reader: SegmentReader;
  private readonly waiters = new DataWaiters();
  private readonly commits = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  /**
   * `requestCommit` asks the writer to commit; it answers through committed() or commitFailed().
   * `requestExtent` asks for the extent past `after` (EmbeddedLog.requestExtent); it answers
   * through update().
   */
  constructor(
    handOff: LogHandOff,
    private readonly requestCommit: (nextSeq: number) => void,
    private readonly requestExtent: (after: number) => void,
  ) {
    this.extent = handOff.extent;
    this.committedSeq = handOff.committed;
    this.reader = new SegmentReader(handOff.start);
    requestExtent(this.extent.end);
  }

  /** The writer made more records durable (and perhaps started or deleted segments). */
  update(extent: LogExtent): void {
    this.extent = extent;
    if (this.reader.next < extent.end) this.waiters.wakeAll();
    this.requestExtent(extent.end);
  }

  committed(nextSeq: number): void {
    this.committedSeq = Math.max(this.committedSeq, nextSeq);
    this.commits.get(nextSeq)?.resolve();
    this.commits.delete(nextSeq);
  }

  commitFailed(nextSeq: number, message: string): void {
    this.commits.get(nextSeq)?.reject(new Error(message));
    this.commits.delete(nextSeq);
  }

  get backlog(): number {
    return this.extent.end - this.committedSeq;
  }

  get next(): number {
    return this.reader.next;
  }

  read(maxRecords: number, maxBytes = 8 * 1024 * 1024): Promise<QueuedEnvelope[]> {
    return this.reader.read(this.extent.segments, this.extent.end, maxRecords, maxBytes);
  }

  waitForData(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(this.reader.next < this.extent.end, timeoutMs, signal);
  }

  commit(nextSeq: number): Promise<void> {
    if (nextSeq <= this.committedSeq) return Promise.resolve();
    // The consumer awaits each commit before the next, so positions are never asked for twice.
    return new Promise((resolve, reject) => {
      this.commits.set(nextSeq, { resolve, reject });
      this.requestCommit(nextSeq);
    });
  }

  close(): Promise<void> {
    return this.reader.release();
  }
}
