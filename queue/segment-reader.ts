// Reads records of the embedded log in order, from a list of segments and a durable end that
// its owner keeps up to date. The log itself reads through one (queue/embedded-log.ts); so does
// a consumer on another thread (queue/log-follower.ts), which sees the segments only as
// messages from the writer's thread and therefore finds segments by their first sequence
// number, never by object identity.
import { open, type FileHandle } from 'node:fs/promises';
import { decodeEnvelope, type QueuedEnvelope } from './envelope.js';
import { HEADER_BYTES, scanRecords } from './segment-format.js';

export interface SegmentExtent {
  firstSeq: number;
  file: string;
  /** Bytes holding durable records. */
  size: number;
}

/** Where the next record to read is: its sequence number, its segment and its byte offset there. */
export interface ReadPosition {
  seq: number;
  segment: number;
  offset: number;
}

export class SegmentReader {
  private handle: { segment: number; fh: FileHandle } | undefined;

  constructor(private readonly position: ReadPosition) {}

  /** Sequence number of the next record to read. */
  get next(): number {
    return this.position.seq;
  }

  /** A copy of the position, e.g. to hand reading over to another thread. */
  get at(): ReadPosition {
    return { ...this.position };
  }

  /**
   * The segment the position is in, after stepping past segments read to their end; undefined
   * if the position's segment is no longer listed and no listed segment starts where it stands.
   */
  locate(segments: readonly SegmentExtent[]): SegmentExtent | undefined {
    let i = segments.findIndex((s) => s.firstSeq === this.position.segment);
    if (i < 0) {
      // The segment was reclaimed after this reader finished it: continue in the next one.
      i = segments.findIndex((s) => s.firstSeq === this.position.seq);
      if (i < 0) return undefined;
      this.position.segment = this.position.seq;
      this.position.offset = 0;
    }
    while (this.position.offset >= segments[i]!.size && i < segments.length - 1) {
      i += 1;
      this.position.segment = segments[i]!.firstSeq;
      this.position.offset = 0;
    }
    return segments[i];
  }

  /**
   * Reads the records after the previous read, in order, up to `end` (one past the last durable
   * record): at most `maxRecords` of them and at most `maxBytes` as stored (framing, metadata
   * and body). The first record is returned whatever its size, so one large record can never
   * stall the reader.
   */
  async read(segments: readonly SegmentExtent[], end: number, maxRecords: number, maxBytes: number): Promise<QueuedEnvelope[]> {
    const out: QueuedEnvelope[] = [];
    let budget = maxBytes;
    while (out.length < maxRecords && this.position.seq < end) {
      const segment = this.locate(segments);
      if (!segment) throw new Error(`embedded log: record ${this.position.seq} is in no segment on disk`);
      const { offset } = this.position;
      const fh = await this.fileOf(segment);
      const header = await readAt(fh, HEADER_BYTES, offset, segment.file);
      const firstBytes = HEADER_BYTES + header.readUInt32BE(0);
      if (firstBytes > segment.size - offset) throw new Error(`embedded log: record at ${segment.file}:${offset} runs past the durable end of the segment`);
      if (out.length > 0 && firstBytes > budget) break;
      const buf = await readAt(fh, Math.max(firstBytes, Math.min(budget, segment.size - offset)), offset, segment.file);
      const scan = scanRecords(buf, maxRecords - out.length);
      if (scan.corrupt || scan.records.length === 0) throw new Error(`embedded log: unreadable record at ${segment.file}:${offset + scan.validEnd}`);
      // Envelopes keep views into the read buffer, not copies: a read is at most maxBytes, and the
      // batch it fills is converted and dropped as a whole (a copy per record cost about 1 µs).
      for (const r of scan.records) out.push({ envelope: decodeEnvelope(r.payload), partition: 0, offset: this.position.seq++ });
      this.position.offset += scan.validEnd;
      budget -= scan.validEnd;
      if (budget <= 0) break;
    }
    return out;
  }

  /** Closes the open file if it is segment `firstSeq` (about to be deleted), or any when omitted. */
  async release(firstSeq?: number): Promise<void> {
    const { handle } = this;
    if (!handle || (firstSeq !== undefined && handle.segment !== firstSeq)) return;
    this.handle = undefined;
    await handle.fh.close();
  }

  private async fileOf(segment: SegmentExtent): Promise<FileHandle> {
    if (this.handle?.segment !== segment.firstSeq) {
      await this.release();
      this.handle = { segment: segment.firstSeq, fh: await open(segment.file, 'r') };
    }
    return this.handle.fh;
  }
}

/** Reads exactly `length` bytes at `position`; durable bytes that are missing mean damage. */
async function readAt(fh: FileHandle, length: number, position: number, file: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw new Error(`embedded log: ${file} ends at byte ${position + bytesRead}, before its durable end ${position + length}`);
  return buf;
}
