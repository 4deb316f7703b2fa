// The one encoder of Kafka records: an uncompressed v2 record batch, measured first and then
// written into the request's buffer in place (no intermediate buffers per record or header).
// Format: https://kafka.apache.org/documentation/#recordbatch
//
//   RecordBatch =>
//     baseOffset            INT64    0: the broker assigns offsets
//     batchLength           INT32    bytes after this field
//     partitionLeaderEpoch  INT32    -1: set by the broker
//     magic                 INT8     2
//     crc                   UINT32   CRC-32C of attributes .. the last record
//     attributes            INT16    0: no compression, create time, not transactional
//     lastOffsetDelta       INT32
//     baseTimestamp         INT64
//     maxTimestamp          INT64
//     producerId            INT64    -1: not idempotent
//     producerEpoch         INT16    -1
//     baseSequence          INT32    -1
//     records               INT32 count, then Record each
//
//   Record =>
//     length          VARINT   bytes after this field
//     attributes      INT8     0
//     timestampDelta  VARLONG  from baseTimestamp
//     offsetDelta     VARINT   from baseOffset
//     key             VARINT length (-1: null), bytes
//     value           VARINT length, bytes
//     headers         VARINT count, then Header each
//
//   Header => key (VARINT length, UTF-8 bytes), value (VARINT length, bytes)
import type { KafkaRecord } from '../kafka-message.js';

// CRC-32C (Castagnoli), reflected polynomial 0x82f63b78, as the record batch checksum requires.
const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c;
});

export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Bytes of a zigzag varint (Kafka's varint/varlong) holding `v`, a safe integer. */
function varintSize(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 128) ((z = Math.floor(z / 128)), n++);
  return n;
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    buf[at++] = (z % 128) | 128;
    z = Math.floor(z / 128);
  }
  buf[at++] = z;
  return at;
}

export const writeInt64 = (buf: Buffer, at: number, v: number): number => {
  buf.writeInt32BE(Math.floor(v / 2 ** 32), at);
  buf.writeUInt32BE(v >>> 0, at + 4);
  return at + 8;
};

// Header names are a handful of constants: their bytes are made once.
const NAME_BYTES = new Map<string, Buffer>();
function nameBytes(name: string): Buffer {
  let bytes = NAME_BYTES.get(name);
  if (!bytes) NAME_BYTES.set(name, (bytes = Buffer.from(name)));
  return bytes;
}

/** A batch measured: its size and, per record, the byte lengths found while measuring. */
export interface SizedBatch {
  records: KafkaRecord[];
  /** Per record: its body length, then the UTF-8 lengths of its header values. */
  lengths: number[][];
  first: number;
  last: number;
  size: number;
}

const HEADER_BYTES = 61; // baseOffset .. the record count
const CRC_START = 21; // attributes onwards is covered by the CRC

export function measureBatch(records: KafkaRecord[]): SizedBatch {
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) ((first = Math.min(first, r.timestamp)), (last = Math.max(last, r.timestamp)));
  let size = HEADER_BYTES;
  const lengths = records.map((r, i) => {
    // The body's length goes first, once known; then each header value's UTF-8 length.
    const own: number[] = [0];
    let body = 1 + varintSize(r.timestamp - first) + varintSize(i) + (r.key ? varintSize(r.key.length) + r.key.length : 1) + varintSize(r.value.length) + r.value.length + varintSize(r.headers.length);
    for (const [name, value] of r.headers) {
      const n = nameBytes(name).length;
      const v = Buffer.byteLength(value);
      own.push(v);
      body += varintSize(n) + n + varintSize(v) + v;
    }
    own[0] = body;
    size += varintSize(body) + body;
    return own;
  });
  return { records, lengths, first, last, size };
}

/** Writes a measured batch at `at`; returns the position after it. */
export function writeBatch(buf: Buffer, at: number, b: SizedBatch): number {
  const start = at;
  at = writeInt64(buf, at, 0);
  at = buf.writeInt32BE(b.size - 12, at);
  at = buf.writeInt32BE(-1, at);
  buf[at++] = 2;
  const crcAt = at;
  at += 4;
  at = buf.writeInt16BE(0, at);
  at = buf.writeInt32BE(b.records.length - 1, at);
  at = writeInt64(buf, at, b.first);
  at = writeInt64(buf, at, b.last);
  at = writeInt64(buf, at, -1);
  at = buf.writeInt16BE(-1, at);
  at = buf.writeInt32BE(-1, at);
  at = buf.writeInt32BE(b.records.length, at);
  b.records.forEach((r, i) => {
    const lengths = b.lengths[i]!;
    at = writeVarint(buf, at, lengths[0]!);
    buf[at++] = 0;
    at = writeVarint(buf, at, r.timestamp - b.first);
    at = writeVarint(buf, at, i);
    if (r.key) {
      at = writeVarint(buf, at, r.key.length);
      at += r.key.copy(buf, at);
    } else at = writeVarint(buf, at, -1);
    at = writeVarint(buf, at, r.value.length);
    at += r.value.copy(buf, at);
    at = writeVarint(buf, at, r.headers.length);
    r.headers.forEach(([name, value], h) => {
      const bytes = nameBytes(name);
      at = writeVarint(buf, at, bytes.length);
      at += bytes.copy(buf, at);
      at = writeVarint(buf, at, lengths[1 + h]!);
      at += buf.write(value, at, 'utf8');
    });
  });
  if (at - start !== b.size) throw new Error(`record batch measured ${b.size} bytes but wrote ${at - start}`);
  buf.writeUInt32BE(crc32c(buf, start + CRC_START, at), crcAt);
  return at;
}
