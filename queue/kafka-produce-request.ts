// One Kafka Produce request (v7: acks, one uncompressed v2 record batch per partition) written
// straight from envelopes into one buffer, and its response read back. kafkajs builds the same
// bytes through an Encoder object, a Long and several small buffers per record and per header;
// that was the larger part of the Kafka receiver's CPU per webhook (BENCHMARKS.md, "Ingest,
// Kafka"). Formats: https://kafka.apache.org/documentation/#recordbatch and the Produce schema
// (clients/src/main/resources/common/message/ProduceRequest.json, ProduceResponse.json).
import type { Envelope } from './envelope.js';
import { HEADERS } from './kafka-message.js';

const PRODUCE_API_VERSION = 7;

const HEADER_KEYS = {
  agent: Buffer.from(HEADERS.agent),
  receivedAt: Buffer.from(HEADERS.receivedAt),
  signature: Buffer.from(HEADERS.signature),
  rejectCode: Buffer.from(HEADERS.rejectCode),
  rejectReason: Buffer.from(HEADERS.rejectReason),
};

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
  while (z >= 128) (z = Math.floor(z / 128)), n++;
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

const writeInt64 = (buf: Buffer, at: number, v: number): number => {
  buf.writeInt32BE(Math.floor(v / 2 ** 32), at);
  buf.writeUInt32BE(v >>> 0, at + 4);
  return at + 8;
};

/** One record's fields, measured once: sizes are needed before the bytes can be written. */
interface Sized {
  env: Envelope;
  key: Buffer | null;
  receivedAt: string;
  /** Byte lengths of the string header values, in write order. */
  agentLength: number;
  rejectLengths: [number, number] | undefined;
  bodyLength: number;
}

const headerSize = (key: Buffer, valueLength: number): number => varintSize(key.length) + key.length + varintSize(valueLength) + valueLength;

function measure(env: Envelope, key: Buffer | null, offsetDelta: number, timestampDelta: number): [Sized, number] {
  const receivedAt = String(env.receivedAtMs);
  const agentLength = Buffer.byteLength(env.agent);
  const rejectLengths: [number, number] | undefined = env.reject && [Buffer.byteLength(env.reject.code), Buffer.byteLength(env.reject.reason)];
  let body =
    1 + // attributes
    varintSize(timestampDelta) +
    varintSize(offsetDelta) +
    (key ? varintSize(key.length) + key.length : 1) +
    varintSize(env.body.length) +
    env.body.length +
    1 + // header count (3 or 5)
    headerSize(HEADER_KEYS.agent, agentLength) +
    headerSize(HEADER_KEYS.receivedAt, receivedAt.length) +
    headerSize(HEADER_KEYS.signature, env.signature.length);
  if (rejectLengths) body += headerSize(HEADER_KEYS.rejectCode, rejectLengths[0]) + headerSize(HEADER_KEYS.rejectReason, rejectLengths[1]);
  return [{ env, key, receivedAt, agentLength, rejectLengths, bodyLength: body }, varintSize(body) + body];
}

function writeHeader(buf: Buffer, at: number, key: Buffer, value: string | Buffer, length: number): number {
  at = writeVarint(buf, at, key.length);
  at += key.copy(buf, at);
  at = writeVarint(buf, at, length);
  return at + (typeof value === 'string' ? buf.write(value, at, length, 'utf8') : value.copy(buf, at));
}

function writeRecord(buf: Buffer, at: number, r: Sized, offsetDelta: number, timestampDelta: number): number {
  const { env } = r;
  at = writeVarint(buf, at, r.bodyLength);
  buf[at++] = 0; // attributes
  at = writeVarint(buf, at, timestampDelta);
  at = writeVarint(buf, at, offsetDelta);
  if (r.key) {
    at = writeVarint(buf, at, r.key.length);
    at += r.key.copy(buf, at);
  } else at = writeVarint(buf, at, -1);
  at = writeVarint(buf, at, env.body.length);
  at += env.body.copy(buf, at);
  at = writeVarint(buf, at, r.rejectLengths ? 5 : 3);
  at = writeHeader(buf, at, HEADER_KEYS.agent, env.agent, r.agentLength);
  at = writeHeader(buf, at, HEADER_KEYS.receivedAt, r.receivedAt, r.receivedAt.length);
  at = writeHeader(buf, at, HEADER_KEYS.signature, env.signature, env.signature.length);
  if (env.reject && r.rejectLengths) {
    at = writeHeader(buf, at, HEADER_KEYS.rejectCode, env.reject.code, r.rejectLengths[0]);
    at = writeHeader(buf, at, HEADER_KEYS.rejectReason, env.reject.reason, r.rejectLengths[1]);
  }
  return at;
}

export interface PartitionRecords {
  partition: number;
  /** In the order they must be stored. */
  envelopes: Envelope[];
  /** The envelopes' message keys as bytes (null: no key), computed once by whoever partitioned them. */
  keys: (Buffer | null)[];
}

interface ProduceRequest {
  correlationId: number;
  clientId: string;
  /** -1: all in-sync replicas. */
  acks: number;
  /** How long the broker may wait for the replicas' acknowledgement. */
  timeoutMs: number;
  topic: string;
  partitions: PartitionRecords[];
}

const RECORD_BATCH_HEADER = 61; // baseOffset .. record count
const BATCH_CRC_START = 21; // attributes onwards is covered by the CRC

/** The complete request, size prefix included, ready for the socket. */
export function encodeProduceRequest(req: ProduceRequest): Buffer {
  const clientIdLength = Buffer.byteLength(req.clientId);
  const topicLength = Buffer.byteLength(req.topic);
  const batches = req.partitions.map(({ partition, envelopes, keys }) => {
    let first = Infinity;
    let last = -Infinity;
    for (const e of envelopes) (first = Math.min(first, e.receivedAtMs)), (last = Math.max(last, e.receivedAtMs));
    let size = RECORD_BATCH_HEADER;
    const records = envelopes.map((env, i) => {
      const [sized, bytes] = measure(env, keys[i]!, i, env.receivedAtMs - first);
      size += bytes;
      return sized;
    });
    return { partition, records, first, last, size };
  });
  let size = 4 + 2 + 2 + 4 + 2 + clientIdLength + 2 + 2 + 4 + 4 + 2 + topicLength + 4;
  for (const b of batches) size += 4 + 4 + b.size;

  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeInt32BE(size - 4, 0);
  at = buf.writeInt16BE(0, at); // api key: Produce
  at = buf.writeInt16BE(PRODUCE_API_VERSION, at);
  at = buf.writeInt32BE(req.correlationId, at);
  at = buf.writeInt16BE(clientIdLength, at);
  at += buf.write(req.clientId, at, 'utf8');
  at = buf.writeInt16BE(-1, at); // transactional id: none
  at = buf.writeInt16BE(req.acks, at);
  at = buf.writeInt32BE(req.timeoutMs, at);
  at = buf.writeInt32BE(1, at); // one topic
  at = buf.writeInt16BE(topicLength, at);
  at += buf.write(req.topic, at, 'utf8');
  at = buf.writeInt32BE(batches.length, at);
  for (const b of batches) {
    at = buf.writeInt32BE(b.partition, at);
    at = buf.writeInt32BE(b.size, at);
    const start = at;
    at = writeInt64(buf, at, 0); // base offset: the broker assigns offsets
    at = buf.writeInt32BE(b.size - 12, at); // batch length: what follows this field
    at = buf.writeInt32BE(-1, at); // partition leader epoch: set by the broker
    buf[at++] = 2; // magic
    const crcAt = at;
    at += 4;
    at = buf.writeInt16BE(0, at); // attributes: no compression, create time, not transactional
    at = buf.writeInt32BE(b.records.length - 1, at); // last offset delta
    at = writeInt64(buf, at, b.first);
    at = writeInt64(buf, at, b.last);
    at = writeInt64(buf, at, -1); // producer id: not idempotent
    at = buf.writeInt16BE(-1, at); // producer epoch
    at = buf.writeInt32BE(-1, at); // base sequence
    at = buf.writeInt32BE(b.records.length, at);
    b.records.forEach((r, i) => (at = writeRecord(buf, at, r, i, r.env.receivedAtMs - b.first)));
    if (at - start !== b.size) throw new Error(`record batch measured ${b.size} bytes but wrote ${at - start}`);
    buf.writeUInt32BE(crc32c(buf, start + BATCH_CRC_START, at), crcAt);
  }
  if (at !== size) throw new Error(`produce request measured ${size} bytes but wrote ${at}`);
  return buf;
}

interface PartitionResult {
  partition: number;
  errorCode: number;
  baseOffset: bigint;
}

/** Reads a Produce v7 response body (after the size prefix and the correlation id). */
export function decodeProduceResponse(buf: Buffer): PartitionResult[] {
  let at = 0;
  const out: PartitionResult[] = [];
  const topics = buf.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topics; t++) {
    at += 2 + buf.readInt16BE(at); // topic name
    const partitions = buf.readInt32BE(at);
    at += 4;
    for (let p = 0; p < partitions; p++) {
      out.push({ partition: buf.readInt32BE(at), errorCode: buf.readInt16BE(at + 4), baseOffset: buf.readBigInt64BE(at + 6) });
      at += 4 + 2 + 8 + 8 + 8; // index, error code, base offset, log append time, log start offset
    }
  }
  return out;
}
