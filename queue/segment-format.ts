// Framing of embedded-log segment files: each record is [u32 length][u32 crc32][payload].
// A segment is created at its full size, all zeros (embedded-log.ts says why), and records are
// written over the zeros in order; a length of 0 (which no record has) therefore marks the end.
// Records are never overwritten, so a crash can only leave a torn record (and possibly more of
// its group) after the last complete one of the newest segment; the length and CRC detect it
// and recovery clears it away. A torn record was never acknowledged (acks wait for fdatasync),
// so clearing it loses nothing accepted.
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
/** Upper bound for one record; anything larger in a header means the header itself is torn. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function frameRecord(payload: Buffer): Buffer {
  // An empty payload would frame as eight zero bytes, which is exactly what a file extended
  // by a crash (a size update without its data) reads as; refusing it keeps zeros invalid.
  if (payload.length === 0 || payload.length > MAX_RECORD_BYTES) {
    throw new RangeError(`a log record holds 1 to ${MAX_RECORD_BYTES} bytes, not ${payload.length}`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** True when `buf` holds only zero bytes from `start` on: the unwritten part of a segment. */
export function zeroFrom(buf: Buffer, start: number): boolean {
  const CHUNK = 64 * 1024;
  const zeros = Buffer.alloc(Math.min(CHUNK, Math.max(0, buf.length - start)));
  for (let at = start; at < buf.length; at += CHUNK) {
    const part = buf.subarray(at, Math.min(at + CHUNK, buf.length));
    if (!part.equals(zeros.subarray(0, part.length))) return false;
  }
  return true;
}

export interface ScannedRecord {
  payload: Buffer;
  /** Byte offset of the record's header within the scanned buffer. */
  start: number;
  /** Byte offset just past the record. */
  end: number;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** Offset just past the last complete, valid record. */
  validEnd: number;
  /** True when the bytes at validEnd are a bad record (a bad length or CRC), not merely one cut short. */
  corrupt: boolean;
}

/**
 * Reads complete records from `buf`, stopping at the first that is not: a record cut short by
 * the end of `buf` (not read yet, or torn) ends the scan quietly; a bad length or CRC sets
 * `corrupt`. Recovery tells a torn tail from unwritten space by what follows validEnd.
 */
export function scanRecords(buf: Buffer, maxRecords = Infinity): ScanResult {
  const records: ScannedRecord[] = [];
  let pos = 0;
  while (records.length < maxRecords && pos + HEADER_BYTES <= buf.length) {
    const length = buf.readUInt32BE(pos);
    if (length === 0 || length > MAX_RECORD_BYTES) return { records, validEnd: pos, corrupt: true };
    const end = pos + HEADER_BYTES + length;
    if (end > buf.length) break;
    const payload = buf.subarray(pos + HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32BE(pos + 4)) return { records, validEnd: pos, corrupt: true };
    records.push({ payload, start: pos, end });
    pos = end;
  }
  return { records, validEnd: pos, corrupt: false };
}

const SECTOR = 512;

/**
 * Whether the bad record at `at`, which a valid record at `before` follows, looks like what a
 * crash leaves: a header of zeros, or a record with a whole 512-byte sector of zeros in it. A segment is
 * written once over zeros, so a write that did not reach the disk leaves zeros; a record that is
 * complete but for a changed byte was damaged after it was written, maybe long after it was
 * acknowledged.
 */
export function looksTorn(buf: Buffer, at: number, before: number): boolean {
  if (at + HEADER_BYTES > buf.length) return true;
  const length = buf.readUInt32BE(at);
  if (length === 0) return true;
  if (length > MAX_RECORD_BYTES) return false;
  // Up to `before`, the next valid record: zeros past it are the segment's unwritten part.
  const end = Math.min(before, at + HEADER_BYTES + length);
  for (let sector = Math.ceil(at / SECTOR) * SECTOR; sector + SECTOR <= end; sector += SECTOR) {
    if (zeroFrom(buf.subarray(sector, sector + SECTOR), 0)) return true;
  }
  // Cut off by the end of the file is a tear only if nothing valid follows: recovery checks that.
  return false;
}

/** Offset of the first complete, valid record that starts after `from`, or undefined. */
export function nextValidRecord(buf: Buffer, from: number): number | undefined {
  for (let pos = from + 1; pos + HEADER_BYTES < buf.length; pos++) {
    const length = buf.readUInt32BE(pos);
    if (length === 0 || length > buf.length - pos - HEADER_BYTES) continue;
    if (crc32(buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + length)) === buf.readUInt32BE(pos + 4)) return pos;
  }
  return undefined;
}
