// The embedded durable log: Kafka's stand-in on one machine.
//
// Why hand-written rather than an embedded database: what we need is an append-only,
// single-reader queue with group commit, a few hundred lines on top of write + fdatasync, with
// no native dependency to rebuild for each Node version, and safe under torn writes by
// construction (see segment-format.ts and test/queue/embedded-log.test.ts).
//
// Layout under `dir`: segment files `<first sequence number>.seg`, and `consumer.pos` holding
// the next sequence the consumer has not stored yet. Segments wholly below it are deleted.
// One process at a time: the log takes no lock of its own (the caller holds DATA_DIR).
//
// Segments are created at their full size (a sparse file of zeros) and filled in place: an
// fdatasync after a write that makes the file longer must also commit the file system's journal
// (the new size), and every group commit pays for that (BENCHMARKS.md, section 3). The price is
// in recovery: the data ends at the first record that is not complete and valid, and what a
// crash left after it must be cleared, not cut off (log-recovery.ts).
//
// This class puts the parts together: the writer (log-writer.ts), recovery (log-recovery.ts), a
// reader (segment-reader.ts) until reading is handed to another thread (log-extent.ts), and
// the consumer's committed position.
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { DataWaiters } from './data-waiters.js';
import { encodeEnvelope, type Envelope, type QueuedEnvelope } from './envelope.js';
import { fsyncDir, writeFileAtomic } from './fs-durable.js';
import { ExtentChannel, type LogExtent, type LogHandOff } from './log-extent.js';
import { POSITION_FILE, recoverLog } from './log-recovery.js';
import { LogWriter, type LogWriterOptions } from './log-writer.js';
import { frameRecord } from './segment-format.js';
import { SegmentReader } from './segment-reader.js';

export interface EmbeddedLogOptions extends LogWriterOptions {
  dir: string;
  /** Start a new segment once the current one is this large; also the size a segment is created at. @default 16 MiB */
  segmentBytes?: number;
  /**
   * Bytes of appends allowed to wait for the disk at once; past it, append refuses with a
   * retriable `not_durable` instead of buffering without bound (ARCHITECTURE.md, "Bounded everywhere"). @default 64 MiB
   */
  maxPendingBytes?: number;
}

const MiB = 1024 * 1024;

export class EmbeddedLog {
  private committedSeq: number;
  private committing: Promise<void> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly writer: LogWriter;
  // Reads the next record to hand to the consumer, unless reading was handed to another thread.
  private readonly reader: SegmentReader;
  private readonly waiters = new DataWaiters();
  // Set once reading is handed to another thread.
  private channel: ExtentChannel | undefined;

  /** What opening cleared: the torn end of the newest segment, from byte `at` (after record `records` - 1). */
  readonly recovered: { file: string; at: number; records: number } | undefined;

  private constructor(
    private readonly dir: string,
    recovered: Awaited<ReturnType<typeof recoverLog>>,
    limits: { segmentBytes: number; maxPendingBytes: number },
    options: LogWriterOptions,
  ) {
    const { segments, committed, end, cursor, handle } = recovered;
    this.recovered = recovered.recovered;
    this.committedSeq = committed;
    this.reader = new SegmentReader(cursor ?? { seq: end, segment: end, offset: 0 });
    this.writer = new LogWriter(dir, segments, end, handle, limits, {
      ...options,
      onDurable: () => {
        this.waiters.wakeAll();
        this.channel?.durable();
      },
    });
  }

  static async open(options: EmbeddedLogOptions): Promise<EmbeddedLog> {
    const segmentBytes = options.segmentBytes ?? 16 * MiB;
    const maxPendingBytes = options.maxPendingBytes ?? 64 * MiB;
    for (const [name, value] of Object.entries({ segmentBytes, maxPendingBytes })) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`embedded log: ${name} must be a positive integer, not ${value}`);
    }
    const { onFailure, onRecovered, repairDelayMs } = options;
    const log = new EmbeddedLog(options.dir, await recoverLog(options.dir, segmentBytes), { segmentBytes, maxPendingBytes }, { onFailure, onRecovered, repairDelayMs });
    try {
      await log.reclaim();
    } catch (err) {
      await log.releaseFiles();
      throw err;
    }
    return log;
  }

  /** Sequence number one past the last durable record. */
  get end(): number {
    return this.writer.end;
  }

  /** Sequence number of the first record the consumer has not stored yet. */
  get committed(): number {
    return this.committedSeq;
  }

  /** Sequence number of the next record read() returns (while reading is not handed off). */
  get next(): number {
    return this.reader.next;
  }

  /** Records appended durably but not yet committed by the consumer. */
  get backlog(): number {
    return this.writer.end - this.committedSeq;
  }

  get healthy(): boolean {
    return this.writer.healthy && !this.closed;
  }

  /** Appends one envelope; resolves with its sequence number once it is on disk. */
  append(envelope: Envelope): Promise<number> {
    if (this.closed) return Promise.reject(new AppError('shutting_down'));
    let record: Buffer;
    try {
      record = frameRecord(encodeEnvelope(envelope));
    } catch (err) {
      // Refused before anything was written: the log stays healthy, and a retry cannot help.
      const reason = `the event does not fit in one log record (${(err as Error).message})`;
      return Promise.reject(new AppError('not_durable', [reason], { cause: err, retriable: false }));
    }
    return this.writer.append(record);
  }

  /**
   * Reads the records after the previous read, in order: at most `maxRecords` of them and at
   * most `maxBytes` as stored (framing, metadata and body). The first record is returned
   * whatever its size, so one large record can never stall the reader.
   */
  async read(maxRecords: number, maxBytes = 8 * MiB): Promise<QueuedEnvelope[]> {
    if (this.closed) throw new Error('embedded log: read after close');
    if (this.channel) throw new Error('embedded log: reading was handed to another thread');
    return this.reader.read(this.writer.segments, this.writer.end, maxRecords, maxBytes);
  }

  /** Resolves when unread records exist, after `timeoutMs`, or when `signal` aborts. */
  waitForData(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(this.reader.next < this.writer.end || this.closed, timeoutMs, signal);
  }

  /** The durable segments and end, as a reader on another thread needs them. */
  extent(): LogExtent {
    return { segments: this.writer.segments.map((s) => ({ ...s })), end: this.writer.end };
  }

  /**
   * Hands reading to a reader on another thread (queue/log-follower.ts): this log stops
   * reading, sends the follower extents through `post` when it asks (requestExtent), and from
   * then on reclaims segments by the committed position alone. The follower commits through
   * commit().
   */
  async handOffReading(post: (extent: LogExtent) => void): Promise<LogHandOff> {
    if (this.channel) throw new Error('embedded log: reading was already handed off');
    this.reader.locate(this.writer.segments);
    const start = this.reader.at;
    this.channel = new ExtentChannel(post, () => this.extent());
    await this.reader.release();
    return { start, committed: this.committedSeq, extent: this.extent() };
  }

  /** The follower knows the log up to `after` (see ExtentChannel.request). */
  requestExtent(after: number): void {
    if (!this.channel) throw new Error('embedded log: requestExtent before handOffReading');
    this.channel.request(after);
  }

  /** Records that everything before `nextSeq` is stored, and deletes segments no longer needed. */
  commit(nextSeq: number): Promise<void> {
    // One at a time: concurrent commits would share the position file's temporary name.
    const run = this.committing.then(() => this.commitNow(nextSeq));
    this.committing = run.catch(() => {});
    return run;
  }

  private async commitNow(nextSeq: number): Promise<void> {
    if (!Number.isSafeInteger(nextSeq)) throw new RangeError(`embedded log: cannot commit ${nextSeq}, not a sequence number`);
    if (nextSeq <= this.committedSeq) return;
    if (nextSeq > this.writer.end) throw new Error(`embedded log: cannot commit ${nextSeq}, the log ends at ${this.writer.end}`);
    await writeFileAtomic(path.join(this.dir, POSITION_FILE), JSON.stringify({ next: nextSeq }));
    this.committedSeq = nextSeq;
    await this.reclaim();
  }

  private async reclaim(): Promise<void> {
    const { segments } = this.writer;
    // The reader never stands below the committed position, so a segment wholly below it is
    // finished. (Reading here, the reader is first moved past segments it read to their end.)
    const readerAt = this.channel ? undefined : this.reader.locate(segments)?.firstSeq;
    let removed = 0;
    while (segments.length > 1 && segments[1]!.firstSeq <= this.committedSeq && segments[0]!.firstSeq !== readerAt) {
      const gone = segments.shift()!;
      await this.reader.release(gone.firstSeq);
      await unlink(gone.file);
      removed += 1;
    }
    if (removed > 0) await fsyncDir(this.dir);
  }

  /** Refuses new appends, waits for the queued ones and any commit, then closes the files. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.channel?.stop();
      this.waiters.wakeAll();
      await this.writer.drain();
      await this.committing;
      await this.releaseFiles();
    })();
    return this.closing;
  }

  private async releaseFiles(): Promise<void> {
    await this.reader.release();
    await this.writer.closeFile();
  }
}
