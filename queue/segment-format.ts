// Framing of embedded-log segment files: each record is [u32 length][u32 crc32][payload].
// Appends never overwrite, so a crash can only leave a torn record at the very end of the
// newest segment; the length and CRC detect it and recovery truncates it away. A torn record
// was never acknowledged (acks wait for fdatasync), so truncating it loses nothing accepted.
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
  /** True when bytes after validEnd are a bad record, not merely an incomplete read. */
  corrupt: boolean;
}

/**
 * Reads complete records from `buf`. `complete` says buf holds the whole rest of the file,
 * so a short trailing record is torn rather than just not read yet.
 */
export function scanRecords(buf: Buffer, complete: boolean, maxRecords = Infinity): ScanResult {
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
  const trailing = pos < buf.length && records.length < maxRecords;
  return { records, validEnd: pos, corrupt: complete && trailing };
}
