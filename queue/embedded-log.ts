// The embedded durable log: Kafka's stand-in on one machine.
//
// Why hand-written rather than an embedded database: what we need is an append-only,
// single-reader queue with group commit, which is ~200 lines on top of write + fdatasync,
// has no native dependency to rebuild for each Node version (20, 22, 24), and is safe under
// torn writes by construction (see segment-format.ts and test/queue/embedded-log.test.ts).
//
// Layout under `dir`: segment files `<first sequence number>.seg`, and `consumer.pos` holding
// the next sequence the consumer has not stored yet. Segments wholly below it are deleted.
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { decodeEnvelope, encodeEnvelope, type Envelope, type QueuedEnvelope } from './envelope.js';
import { fsyncDir, writeFileAtomic } from './fs-durable.js';
import { frameRecord, HEADER_BYTES, scanRecords } from './segment-format.js';

export interface EmbeddedLogOptions {
  dir: string;
  /** Start a new segment once the current one is this large. @default 16 MiB */
  segmentBytes?: number;
}

interface Segment {
  firstSeq: number;
  file: string;
  /** Bytes holding durable records. */
  size: number;
}

interface PendingAppend {
  record: Buffer;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}.seg`;

export class EmbeddedLog {
  private readonly segments: Segment[] = [];
  private writer!: FileHandle;
  private endSeq = 0;
  private committedSeq = 0;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private broken: Error | undefined;
  private closed = false;
  // Reader state: the next record to hand to the consumer.
  private cursor = { seq: 0, segment: 0, offset: 0 };
  private reader: { segment: Segment; fh: FileHandle } | undefined;
  private waiters = new Set<() => void>();

  private constructor(private readonly dir: string, private readonly segmentBytes: number) {}

  static async open(options: EmbeddedLogOptions): Promise<EmbeddedLog> {
    const log = new EmbeddedLog(options.dir, options.segmentBytes ?? 16 * 1024 * 1024);
    await log.recover();
    return log;
  }

  /** Sequence number one past the last durable record. */
  get end(): number {
    return this.endSeq;
  }

  /** Sequence number of the first record the consumer has not stored yet. */
  get committed(): number {
    return this.committedSeq;
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
    if (this.broken) return Promise.reject(new AppError('not_durable', ['the local log failed earlier'], { cause: this.broken }));
    if (this.closed) return Promise.reject(new AppError('shutting_down'));
    return new Promise((resolve, reject) => {
      this.pending.push({ record: frameRecord(encodeEnvelope(envelope)), resolve, reject });
      this.flushing ??= this.flushLoop().finally(() => (this.flushing = undefined));
    });
  }

  // Group commit: while one write+fdatasync runs, new appends queue up and share the next one.
  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      const active = this.segments.at(-1)!;
      try {
        if (this.broken) throw this.broken;
        if (active.size >= this.segmentBytes) await this.roll();
        const target = this.segments.at(-1)!;
        const bytes = group.reduce((n, p) => n + p.record.length, 0);
        const { bytesWritten } = await this.writer.writev(group.map((p) => p.record), target.size);
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
        await this.writer.datasync();
        target.size += bytes;
        const first = this.endSeq;
        this.endSeq += group.length;
        group.forEach((p, i) => p.resolve(first + i));
        for (const wake of this.waiters) wake();
      } catch (err) {
        // After a failed write or fdatasync the file's tail is unknown and retrying fsync is
        // not safe (the kernel may have dropped the dirty pages), so refuse further appends.
        this.broken ??= err instanceof Error ? err : new Error(String(err));
        const failure = new AppError('not_durable', ['the local log could not be written'], { cause: err });
        group.forEach((p) => p.reject(failure));
      }
    }
  }

  private async roll(): Promise<void> {
    await this.writer.close();
    await this.createSegment(this.endSeq);
  }

  private async createSegment(firstSeq: number): Promise<void> {
    const file = path.join(this.dir, segmentName(firstSeq));
    this.writer = await open(file, 'w');
    await fsyncDir(this.dir);
    this.segments.push({ firstSeq, file, size: 0 });
  }

  private async recover(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => /^\d{16}\.seg$/.test(n)).sort();
    const pos = await readFile(path.join(this.dir, 'consumer.pos'), 'utf8').catch(() => undefined);
    this.committedSeq = pos ? Number(JSON.parse(pos).next) : 0;
    // Without a position file (never committed), start at the oldest record still on disk.
    const oldest = names[0] ? Number(names[0].slice(0, 16)) : 0;
    if (this.committedSeq < oldest) this.committedSeq = oldest;
    let expected: number | undefined;
    for (const [i, name] of names.entries()) {
      const file = path.join(this.dir, name);
      const firstSeq = Number(name.slice(0, 16));
      const buf = await readFile(file);
      const scan = scanRecords(buf, true);
      const last = i === names.length - 1;
      if (expected !== undefined && firstSeq !== expected) throw new Error(`embedded log: segment ${name} does not follow the one before it`);
      if (scan.validEnd < buf.length) {
        if (!last) throw new Error(`embedded log: segment ${name} is damaged at byte ${scan.validEnd}; it is not the newest, so this is not a torn write`);
        // A torn final write: never acknowledged, safe to cut away.
        const fh = await open(file, 'r+');
        await fh.truncate(scan.validEnd);
        await fh.sync();
        await fh.close();
      }
      this.segments.push({ firstSeq, file, size: scan.validEnd });
      expected = firstSeq + scan.records.length;
      if (this.committedSeq >= firstSeq && this.committedSeq < expected) {
        this.cursor = { seq: this.committedSeq, segment: i, offset: scan.records[this.committedSeq - firstSeq]!.start };
      }
    }
    this.endSeq = expected ?? this.committedSeq;
    if (this.committedSeq > this.endSeq) throw new Error('embedded log: consumer position is past the end of the log');
    if (this.segments.length === 0 || this.committedSeq === this.endSeq) {
      // Nothing unconsumed: start a fresh segment at the consumer position and drop the rest.
      for (const s of this.segments.splice(0)) await unlink(s.file);
      await this.createSegment(this.endSeq);
      this.cursor = { seq: this.endSeq, segment: 0, offset: 0 };
    } else {
      this.writer = await open(this.segments.at(-1)!.file, 'r+');
      await this.reclaim();
    }
  }

  /** Reads up to `maxRecords` durable records after the previous read, in order. */
  async read(maxRecords: number, maxBytes = 8 * 1024 * 1024): Promise<QueuedEnvelope[]> {
    const out: QueuedEnvelope[] = [];
    while (out.length < maxRecords && this.cursor.seq < this.endSeq) {
      let segment = this.segments[this.cursor.segment]!;
      if (this.cursor.offset >= segment.size && this.cursor.segment < this.segments.length - 1) {
        this.cursor = { seq: this.cursor.seq, segment: this.cursor.segment + 1, offset: 0 };
        continue;
      }
      if (this.reader?.segment !== segment) {
        await this.reader?.fh.close();
        this.reader = { segment, fh: await open(segment.file, 'r') };
      }
      const header = Buffer.alloc(HEADER_BYTES);
      await this.reader.fh.read(header, 0, HEADER_BYTES, this.cursor.offset);
      const want = Math.max(Math.min(maxBytes, segment.size - this.cursor.offset), HEADER_BYTES + header.readUInt32BE(0));
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.reader.fh.read(buf, 0, want, this.cursor.offset);
      const scan = scanRecords(buf.subarray(0, bytesRead), false, maxRecords - out.length);
      if (scan.corrupt || scan.records.length === 0) throw new Error(`embedded log: unreadable record at ${segment.file}:${this.cursor.offset}`);
      for (const r of scan.records) {
        out.push({ envelope: decodeEnvelope(Buffer.from(r.payload)), partition: 0, offset: this.cursor.seq++ });
      }
      this.cursor.offset += scan.validEnd;
      if (out.reduce((n, q) => n + q.envelope.body.length, 0) >= maxBytes) break;
    }
    return out;
  }

  /** Resolves when unread records exist, after `timeoutMs`, or when `signal` aborts. */
  waitForData(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.cursor.seq < this.endSeq || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  /** Records that everything before `nextSeq` is stored, and deletes segments no longer needed. */
  async commit(nextSeq: number): Promise<void> {
    if (nextSeq <= this.committedSeq) return;
    if (nextSeq > this.endSeq) throw new Error(`embedded log: cannot commit ${nextSeq}, the log ends at ${this.endSeq}`);
    await writeFileAtomic(path.join(this.dir, 'consumer.pos'), JSON.stringify({ next: nextSeq }));
    this.committedSeq = nextSeq;
    await this.reclaim();
  }

  private async reclaim(): Promise<void> {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[1]!.firstSeq <= this.committedSeq && this.cursor.segment > 0) {
      const [gone] = this.segments.splice(0, 1);
      if (this.reader && this.reader.segment === gone) {
        await this.reader.fh.close();
        this.reader = undefined;
      }
      await unlink(gone!.file);
      this.cursor.segment -= 1;
      removed += 1;
    }
    if (removed > 0) await fsyncDir(this.dir);
  }

  /** Waits for queued appends, then closes the files. */
  async close(): Promise<void> {
    await this.flushing;
    this.closed = true;
    for (const wake of this.waiters) wake();
    await this.reader?.fh.close();
    await this.writer.close();
  }
}
