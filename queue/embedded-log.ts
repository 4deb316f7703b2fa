// The embedded durable log: Kafka's stand-in on one machine.
//
// Why hand-written rather than an embedded database: what we need is an append-only,
// single-reader queue with group commit, which is ~200 lines on top of write + fdatasync,
// has no native dependency to rebuild for each Node version (20, 22, 24), and is safe under
// torn writes by construction (see segment-format.ts and test/queue/embedded-log.test.ts).
//
// Layout under `dir`: segment files `<first sequence number>.seg`, and `consumer.pos` holding
// the next sequence the consumer has not stored yet. Segments wholly below it are deleted.
// One process at a time: the log takes no lock of its own (the caller holds DATA_DIR).
//
// Segments are created at their full size (a sparse file of zeros) and filled in place. Why:
// every group commit is a write and an fdatasync, and an fdatasync after a write that makes the
// file longer must also commit the file system's journal (the new size). Writing inside the
// file's size skips that for most groups: on this project's machines a write and fdatasync of
// 1.5 KB cost 45 µs of CPU instead of 56-66 µs, and 131 µs instead of 158-183 µs of waiting
// (BENCHMARKS.md, section 3). Small, but paid by every group commit (about 750 a second at
// 9,000 webhooks a second). The price is in recovery: the data ends at the first record that is
// not complete and valid, and what a crash left after it must be cleared, not cut off (recover()).
import { open, readdir, readFile, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { DataWaiters } from './data-waiters.js';
import { encodeEnvelope, type Envelope, type QueuedEnvelope } from './envelope.js';
import { fsyncDir, mkdirDurable, writeFileAtomic } from './fs-durable.js';
import { frameRecord, looksTorn, nextValidRecord, scanRecords, zeroFrom } from './segment-format.js';
import { SegmentReader, type ReadPosition, type SegmentExtent } from './segment-reader.js';
import { clearSegmentTail } from './segment-tail.js';

export interface EmbeddedLogOptions {
  dir: string;
  /** Start a new segment once the current one is this large; also the size a segment is created at. @default 16 MiB */
  segmentBytes?: number;
  /**
   * Bytes of appends allowed to wait for the disk at once; past it, append refuses with a
   * retriable `not_durable` instead of buffering without bound (ARCHITECTURE.md, "Bounded everywhere"). @default 64 MiB
   */
  maxPendingBytes?: number;
  /** Called when a write or fdatasync fails: appends are refused until the log repairs itself (see repair). */
  onFailure?: (err: Error) => void;
  /** Called when a write succeeds again after onFailure. */
  onRecovered?: () => void;
  /** Wait after a failure before the first repair; doubled after each failed one, up to MAX_REPAIR_DELAY_MS. @default 250 */
  repairDelayMs?: number;
}

type Segment = SegmentExtent;

/** What a reader on another thread needs to continue where this log's reader stands. */
export interface LogHandOff {
  start: ReadPosition;
  committed: number;
  extent: LogExtent;
}

/** The durable part of the log: its segments and one past its last durable record. */
export interface LogExtent {
  segments: SegmentExtent[];
  end: number;
}

interface PendingAppend {
  record: Buffer;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

const MiB = 1024 * 1024;
// Bounds the time between repair attempts while the disk stays full; each reads the segment.
const MAX_REPAIR_DELAY_MS = 5_000;
const POSITION_FILE = 'consumer.pos';
const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}.seg`;

export class EmbeddedLog {
  private readonly segments: Segment[] = [];
  private writer: FileHandle | undefined;
  private endSeq = 0;
  private committedSeq = 0;
  private pending: PendingAppend[] = [];
  /** Bytes appended but not yet durable or failed: the queued ones and the group being written. */
  private pendingBytes = 0;
  private flushing: Promise<void> | undefined;
  private committing: Promise<void> = Promise.resolve();
  private broken: Error | undefined;
  // While broken: when the next repair may run, how long to wait after one fails, and its timer.
  // `suspect` lasts from a failure until a write succeeds again (a repair alone proves nothing
  // while the disk is still full), so one episode is reported once, failure and recovery.
  private suspect = false;
  private repairAt = 0;
  private repairDelay: number;
  private repairTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  // Reads the next record to hand to the consumer, unless reading was handed to another thread.
  private reader!: SegmentReader;
  private readonly waiters = new DataWaiters();
  // Set once reading is handed to another thread: how to send it the extent, and whether it
  // asked for one that the log does not have yet (see requestExtent).
  private handOff: { post: (extent: LogExtent) => void; wanted: boolean } | undefined;

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly maxPendingBytes: number,
    private readonly options: Pick<EmbeddedLogOptions, 'onFailure' | 'onRecovered' | 'repairDelayMs'>,
  ) {
    this.repairDelay = options.repairDelayMs ?? 250;
  }

  static async open(options: EmbeddedLogOptions): Promise<EmbeddedLog> {
    const segmentBytes = options.segmentBytes ?? 16 * MiB;
    const maxPendingBytes = options.maxPendingBytes ?? 64 * MiB;
    for (const [name, value] of Object.entries({ segmentBytes, maxPendingBytes })) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`embedded log: ${name} must be a positive integer, not ${value}`);
    }
    const log = new EmbeddedLog(options.dir, segmentBytes, maxPendingBytes, options);
    try {
      await log.recover();
    } catch (err) {
      await log.releaseFiles();
      throw err;
    }
    return log;
  }

  /** What opening cleared: the torn end of the newest segment, from byte `at` (after record `records` - 1). */
  recovered: { file: string; at: number; records: number } | undefined;

  /** Sequence number one past the last durable record. */
  get end(): number {
    return this.endSeq;
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
    return this.endSeq - this.committedSeq;
  }

  get healthy(): boolean {
    return !this.broken && !this.closed;
  }

  /** Appends one envelope; resolves with its sequence number once it is on disk. */
  append(envelope: Envelope): Promise<number> {
    if (this.closed) return Promise.reject(new AppError('shutting_down'));
    // Until the next repair is due, refuse at once; once it is, the flush loop repairs first.
    if (this.broken && Date.now() < this.repairAt) {
      return Promise.reject(new AppError('not_durable', ['the local log failed earlier (a full disk?) and is not writable yet'], { cause: this.broken }));
    }
    let record: Buffer;
    try {
      record = frameRecord(encodeEnvelope(envelope));
    } catch (err) {
      // Refused before anything was written: the log stays healthy, and a retry cannot help.
      const reason = `the event does not fit in one log record (${(err as Error).message})`;
      return Promise.reject(new AppError('not_durable', [reason], { cause: err, retriable: false }));
    }
    if (this.pendingBytes > 0 && this.pendingBytes + record.length > this.maxPendingBytes) {
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
        if (this.segments.at(-1)!.size >= this.segmentBytes) await this.roll();
        const target = this.segments.at(-1)!;
        const writer = this.writer!;
        const { bytesWritten } = await writer.writev(
          group.map((p) => p.record),
          target.size,
        );
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
        await writer.datasync();
        target.size += bytes;
        first = this.endSeq;
        this.endSeq += group.length;
        if (this.suspect) {
          this.suspect = false;
          this.repairDelay = this.options.repairDelayMs ?? 250;
          this.options.onRecovered?.();
        }
      } catch (err) {
        // After a failed write or fdatasync the file's tail is unknown and retrying fsync is
        // not safe (the kernel may have dropped the dirty pages): refuse appends until repair()
        // has cleared the tail.
        if (!this.broken) {
          this.broken = err instanceof Error ? err : new Error(String(err));
          // Failing again after a repair: the same episode, reported once; wait longer.
          if (this.suspect) this.repairDelay = Math.min(this.repairDelay * 2, MAX_REPAIR_DELAY_MS);
          else this.options.onFailure?.(this.broken);
          this.suspect = true;
          this.scheduleRepair();
        }
        const failure = new AppError('not_durable', ['the local log could not be written'], { cause: err });
        group.forEach((p) => p.reject(failure));
        continue;
      } finally {
        this.pendingBytes -= bytes;
      }
      group.forEach((p, i) => p.resolve(first + i));
      this.waiters.wakeAll();
      if (this.handOff?.wanted) {
        // The reader's thread asked for the new extent. Posting it concerns that reader alone: if
        // it ever failed, the next group commit tries again, and the log stays writable.
        // (Cleared before posting: the answer may ask for the next extent at once.)
        this.handOff.wanted = false;
        try {
          this.handOff.post(this.extent());
        } catch {
          this.handOff.wanted = true;
        }
      }
    }
    // In the same synchronous step as the emptiness check above: an append that comes after
    // it sees no loop running and starts one. (Clearing this in a `.finally()` callback left a
    // gap in which an append was queued behind a loop that had already ended.)
    this.flushing = undefined;
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
      const old = this.writer;
      this.writer = undefined;
      await old?.close().catch(() => undefined);
      if (current.firstSeq !== this.endSeq) {
        // A roll that failed may have left the next segment's file behind, holding nothing.
        await rm(path.join(this.dir, segmentName(this.endSeq)), { force: true });
        await fsyncDir(this.dir);
      }
      this.writer = await clearSegmentTail(current.file, current.size, this.endSeq - current.firstSeq, this.segmentBytes);
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
    const old = this.writer;
    this.writer = undefined;
    await old?.close();
    await this.createSegment(this.endSeq);
  }

  private async createSegment(firstSeq: number): Promise<void> {
    const file = path.join(this.dir, segmentName(firstSeq));
    // 'wx': a segment is never re-created, so an existing file means something else wrote here.
    this.writer = await open(file, 'wx', 0o600);
    // Full size up front (see the top of this file); synced with the name, so that every later
    // group commit writes inside the file's durable size.
    await this.writer.truncate(this.segmentBytes);
    await this.writer.sync();
    await fsyncDir(this.dir);
    this.segments.push({ firstSeq, file, size: 0 });
  }

  private async recover(): Promise<void> {
    await mkdirDurable(this.dir);
    const names = (await readdir(this.dir)).filter((n) => /^\d{16}\.seg$/.test(n)).sort();
    const position = await this.readPosition();
    this.committedSeq = position ?? 0;
    const oldest = names[0] ? Number(names[0].slice(0, 16)) : 0;
    if (this.committedSeq < oldest) {
      // Segments are deleted only once wholly committed: with a position before the oldest, the
      // records in between are gone. Without a position file (never committed), start at the oldest.
      if (position !== undefined && names.length > 0) {
        throw new Error(`embedded log: consumer position ${position} is before the oldest segment ${names[0]} in ${this.dir}: records ${position} to ${oldest - 1} are missing`);
      }
      this.committedSeq = oldest;
    }
    let expected: number | undefined;
    let cursor: ReadPosition | undefined;
    for (const [i, name] of names.entries()) {
      const file = path.join(this.dir, name);
      const firstSeq = Number(name.slice(0, 16));
      if (expected !== undefined && firstSeq !== expected) throw new Error(`embedded log: segment ${file} does not follow the one before it (expected it to start at ${expected})`);
      const buf = await readFile(file);
      const scan = scanRecords(buf);
      // Zeros after the last record are the part of the segment not written yet; anything else
      // there is what a crash left of a group commit that never completed.
      if (!zeroFrom(buf, scan.validEnd)) {
        if (i < names.length - 1) throw new Error(`embedded log: segment ${file} is damaged at byte ${scan.validEnd}; it is not the newest, so this is not a torn write`);
        // Complete records after a record damaged in a way no crash leaves (see looksTorn) are
        // records that were acknowledged: refuse, and change nothing, rather than clear them.
        const after = nextValidRecord(buf, scan.validEnd);
        if (after !== undefined && !looksTorn(buf, scan.validEnd, after)) {
          throw new Error(
            `embedded log: segment ${file} is damaged at byte ${scan.validEnd} (a complete record whose length or checksum is wrong, not a torn write), and complete records follow from byte ${after}; nothing was changed. Keep a copy of the segment and restore it, or remove it to give up the records from byte ${scan.validEnd} on`,
          );
        }
        this.recovered = { file, at: scan.validEnd, records: firstSeq + scan.records.length };
        // A torn final write: never acknowledged, safe to clear. Cleared rather than left
        // behind: records appended later over the zeros could end exactly where a complete
        // record of that torn group begins, which the next recovery would then read as ours.
        const fh = await open(file, 'r+');
        try {
          await fh.truncate(scan.validEnd);
          if (scan.validEnd < this.segmentBytes) await fh.truncate(this.segmentBytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      const segment = { firstSeq, file, size: scan.validEnd };
      this.segments.push(segment);
      expected = firstSeq + scan.records.length;
      if (this.committedSeq >= firstSeq && this.committedSeq < expected) {
        cursor = { seq: this.committedSeq, segment: firstSeq, offset: scan.records[this.committedSeq - firstSeq]!.start };
      }
    }
    this.endSeq = expected ?? this.committedSeq;
    if (this.committedSeq > this.endSeq) throw new Error(`embedded log: consumer position ${this.committedSeq} is past the end of the log (${this.endSeq}) in ${this.dir}`);
    if (cursor === undefined) {
      // Nothing unconsumed: start a fresh segment at the consumer position and drop the rest.
      for (const s of this.segments.splice(0)) await unlink(s.file);
      await this.createSegment(this.endSeq);
      this.reader = new SegmentReader({ seq: this.endSeq, segment: this.endSeq, offset: 0 });
    } else {
      this.reader = new SegmentReader(cursor);
      this.writer = await open(this.segments.at(-1)!.file, 'r+');
      await this.reclaim();
    }
  }

  private async readPosition(): Promise<number | undefined> {
    const file = path.join(this.dir, POSITION_FILE);
    const raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (raw === undefined) return undefined;
    let next: unknown;
    try {
      next = (JSON.parse(raw) as { next?: unknown }).next;
    } catch {
      next = undefined;
    }
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0) {
      throw new Error(`embedded log: ${file} holds ${JSON.stringify(raw)}; expected {"next": <sequence number>}`);
    }
    return next;
  }

  /**
   * Reads the records after the previous read, in order: at most `maxRecords` of them and at
   * most `maxBytes` as stored (framing, metadata and body). The first record is returned
   * whatever its size, so one large record can never stall the reader.
   */
  async read(maxRecords: number, maxBytes = 8 * MiB): Promise<QueuedEnvelope[]> {
    if (this.closed) throw new Error('embedded log: read after close');
    if (this.handOff) throw new Error('embedded log: reading was handed to another thread');
    return this.reader.read(this.segments, this.endSeq, maxRecords, maxBytes);
  }

  /** Resolves when unread records exist, after `timeoutMs`, or when `signal` aborts. */
  waitForData(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(this.reader.next < this.endSeq || this.closed, timeoutMs, signal);
  }

  /** The durable segments and end, as a reader on another thread needs them. */
  extent(): LogExtent {
    return { segments: this.segments.map((s) => ({ ...s })), end: this.endSeq };
  }

  /**
   * Hands reading to a reader on another thread (queue/log-follower.ts): this log stops
   * reading, sends the follower extents through `post` when it asks (requestExtent), and from
   * then on reclaims segments by the committed position alone. The follower commits through
   * commit().
   */
  async handOffReading(post: (extent: LogExtent) => void): Promise<LogHandOff> {
    if (this.handOff) throw new Error('embedded log: reading was already handed off');
    this.reader.locate(this.segments);
    const start = this.reader.at;
    this.handOff = { post, wanted: false };
    await this.reader.release();
    return { start, committed: this.committedSeq, extent: this.extent() };
  }

  /**
   * The follower knows the log up to `after`: the extent is posted now if the log holds more,
   * else after the next durable write. One request, one extent: the writer's thread sends
   * nothing the follower has not asked for, however many writes it makes meanwhile.
   */
  requestExtent(after: number): void {
    if (!this.handOff) throw new Error('embedded log: requestExtent before handOffReading');
    if (this.endSeq > after) this.handOff.post(this.extent());
    else this.handOff.wanted = true;
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
    if (nextSeq > this.endSeq) throw new Error(`embedded log: cannot commit ${nextSeq}, the log ends at ${this.endSeq}`);
    await writeFileAtomic(path.join(this.dir, POSITION_FILE), JSON.stringify({ next: nextSeq }));
    this.committedSeq = nextSeq;
    await this.reclaim();
  }

  private async reclaim(): Promise<void> {
    // The reader never stands below the committed position, so a segment wholly below it is
    // finished. (Reading here, the reader is first moved past segments it read to their end.)
    const readerAt = this.handOff ? undefined : this.reader.locate(this.segments)?.firstSeq;
    let removed = 0;
    while (this.segments.length > 1 && this.segments[1]!.firstSeq <= this.committedSeq && this.segments[0]!.firstSeq !== readerAt) {
      const gone = this.segments.shift()!;
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
      clearTimeout(this.repairTimer);
      if (this.handOff) this.handOff.wanted = false;
      this.waiters.wakeAll();
      while (this.flushing) await this.flushing;
      await this.committing;
      await this.releaseFiles();
    })();
    return this.closing;
  }

  private async releaseFiles(): Promise<void> {
    const { writer } = this;
    this.writer = undefined;
    await this.reader?.release();
    await writer?.close();
  }
}
