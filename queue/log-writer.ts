// The embedded log's writer: group commit (one write and fdatasync for all appends waiting),
// segments created at full size, and repair after a failed write. It calls onDurable after each
// group is on disk; readers (segment-reader.ts, log-follower.ts) are not its business.
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { fsyncDir } from './fs-durable.js';
import type { SegmentExtent } from './segment-reader.js';
import { clearSegmentTail } from './segment-tail.js';

export interface LogWriterOptions {
  /** Called when a write or fdatasync fails: appends are refused until the log repairs itself (see repair). */
  onFailure?: (err: Error) => void;
  /** Called when a write succeeds again after onFailure. */
  onRecovered?: () => void;
  /** Wait after a failure before the first repair; doubled after each failed one, up to MAX_REPAIR_DELAY_MS. @default 250 */
  repairDelayMs?: number;
}

interface PendingAppend {
  record: Buffer;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

// Bounds the time between repair attempts while the disk stays full; each reads the segment.
const MAX_REPAIR_DELAY_MS = 5_000;
export const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}.seg`;

/** Creates segment `firstSeq` at its full size (see embedded-log.ts), durable with its name; returns it open for writing. */
export async function createSegment(dir: string, firstSeq: number, segmentBytes: number): Promise<{ handle: FileHandle; segment: SegmentExtent }> {
  const file = path.join(dir, segmentName(firstSeq));
  // 'wx': a segment is never re-created, so an existing file means something else wrote here.
  const handle = await open(file, 'wx', 0o600);
  try {
    // Synced with the name, so that every later group commit writes inside the file's durable size.
    await handle.truncate(segmentBytes);
    await handle.sync();
    await fsyncDir(dir);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return { handle, segment: { firstSeq, file, size: 0 } };
}

export class LogWriter {
  private pending: PendingAppend[] = [];
  /** Bytes appended but not yet durable or failed: the queued ones and the group being written. */
  private pendingBytes = 0;
  private flushing: Promise<void> | undefined;
  private broken: Error | undefined;
  // While broken: when the next repair may run, how long to wait after one fails, and its timer.
  // `suspect` lasts from a failure until a write succeeds again (a repair alone proves nothing
  // while the disk is still full), so one episode is reported once, failure and recovery.
  private suspect = false;
  private repairAt = 0;
  private repairDelay: number;
  private repairTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param segments the log's segments, shared with its owner (which removes committed ones); the newest is written.
   * @param end one past the last durable record.
   */
  constructor(
    private readonly dir: string,
    readonly segments: SegmentExtent[],
    public end: number,
    private handle: FileHandle | undefined,
    private readonly limits: { segmentBytes: number; maxPendingBytes: number },
    private readonly options: LogWriterOptions & { onDurable: () => void },
  ) {
    this.repairDelay = options.repairDelayMs ?? 250;
  }

  get healthy(): boolean {
    return !this.broken && !this.closed;
  }

  /** Appends one framed record; resolves with its sequence number once it is on disk. */
  append(record: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new AppError('shutting_down'));
    // Until the next repair is due, refuse at once; once it is, the flush loop repairs first.
    if (this.broken && Date.now() < this.repairAt) {
      return Promise.reject(new AppError('not_durable', ['the local log failed earlier (a full disk?) and is not writable yet'], { cause: this.broken }));
    }
    if (this.pendingBytes > 0 && this.pendingBytes + record.length > this.limits.maxPendingBytes) {
      return Promise.reject(new AppError('not_durable', [`the disk is behind: ${this.pendingBytes} bytes are waiting to be written`]));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      this.pendingBytes += record.length;
      this.flushing ??= this.flushLoop();
    });
  }

  // Group commit: while one write+fdatasync runs, new appends queue up and share the next one.
  private async flushLoop(): Promise<void> {
    // Appends made in the same tick as the one that started the loop join its first group.
    await null;
    for (;;) {
      if (this.broken && Date.now() >= this.repairAt) await this.repair();
      if (this.pending.length === 0) break;
      const group = this.pending;
      this.pending = [];
      const bytes = group.reduce((n, p) => n + p.record.length, 0);
      // Only the write and fdatasync are in the try: a failure there, and nothing after it, leaves
      // the file's tail unknown.
      let first: number;
      try {
        if (this.broken) throw this.broken;
        if (this.segments.at(-1)!.size >= this.limits.segmentBytes) await this.roll();
        const target = this.segments.at(-1)!;
        const handle = this.handle!;
        const { bytesWritten } = await handle.writev(
          group.map((p) => p.record),
          target.size,
        );
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
        await handle.datasync();
        target.size += bytes;
        first = this.end;
        this.end += group.length;
        if (this.suspect) {
          this.suspect = false;
          this.repairDelay = this.options.repairDelayMs ?? 250;
          this.options.onRecovered?.();
        }
      } catch (err) {
        this.fail(err);
        const failure = new AppError('not_durable', ['the local log could not be written'], { cause: err });
        group.forEach((p) => p.reject(failure));
        continue;
      } finally {
        this.pendingBytes -= bytes;
      }
      group.forEach((p, i) => p.resolve(first + i));
      this.options.onDurable();
    }
    // In the same synchronous step as the emptiness check above: an append that comes after
    // it sees no loop running and starts one. (Clearing this in a `.finally()` callback left a
    // gap in which an append was queued behind a loop that had already ended.)
    this.flushing = undefined;
  }

  /**
   * After a failed write or fdatasync the file's tail is unknown and retrying fsync is not safe
   * (the kernel may have dropped the dirty pages): appends are refused until repair() has cleared the tail.
   */
  private fail(err: unknown): void {
    if (this.broken) return;
    this.broken = err instanceof Error ? err : new Error(String(err));
    // Failing again after a repair: the same episode, reported once; wait longer.
    if (this.suspect) this.repairDelay = Math.min(this.repairDelay * 2, MAX_REPAIR_DELAY_MS);
    else this.options.onFailure?.(this.broken);
    this.suspect = true;
    this.scheduleRepair();
  }

  private scheduleRepair(): void {
    this.repairAt = Date.now() + this.repairDelay;
    clearTimeout(this.repairTimer);
    // Also without traffic, so that the log (and /readyz) recovers on its own; unref'd, so
    // that it never keeps the process alive.
    this.repairTimer = setTimeout(() => {
      // Due now, even if the timer ran a moment before the clock reached repairAt.
      this.repairAt = Math.min(this.repairAt, Date.now());
      if (!this.closed) this.flushing ??= this.flushLoop();
    }, this.repairDelay).unref();
  }

  /**
   * Makes the log writable again after a failed write or fdatasync, as start-up recovery would:
   * a half-created next segment is removed, and the current one is read back (its acknowledged
   * records must be intact) and cleared after them. Runs in the flush loop, so never during a
   * write. The extent does not change, so readers on any thread are unaffected.
   */
  private async repair(): Promise<void> {
    const current = this.segments.at(-1)!;
    try {
      const old = this.handle;
      this.handle = undefined;
      await old?.close().catch(() => undefined);
      if (current.firstSeq !== this.end) {
        // A roll that failed may have left the next segment's file behind, holding nothing.
        await rm(path.join(this.dir, segmentName(this.end)), { force: true });
        await fsyncDir(this.dir);
      }
      this.handle = await clearSegmentTail(current.file, current.size, this.end - current.firstSeq, this.limits.segmentBytes);
    } catch {
      this.repairDelay = Math.min(this.repairDelay * 2, MAX_REPAIR_DELAY_MS);
      this.scheduleRepair();
      return;
    }
    // Appends are tried again; the next write that succeeds ends the episode (see `suspect`).
    this.broken = undefined;
    clearTimeout(this.repairTimer);
  }

  private async roll(): Promise<void> {
    const old = this.handle;
    this.handle = undefined;
    await old?.close();
    const { handle, segment } = await createSegment(this.dir, this.end, this.limits.segmentBytes);
    this.handle = handle;
    this.segments.push(segment);
  }

  /** Refuses new appends and waits for the queued ones. */
  async drain(): Promise<void> {
    this.closed = true;
    clearTimeout(this.repairTimer);
    while (this.flushing) await this.flushing;
  }

  async closeFile(): Promise<void> {
    const { handle } = this;
    this.handle = undefined;
    await handle?.close();
  }
}
