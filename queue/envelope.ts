// The event envelope: what travels from ingest to consumer. The body is the exact bytes
// Aksita signed (ARCHITECTURE.md, promises); receipt metadata travels beside it (Kafka headers,
// or the metadata block of an embedded-log record), so any reader can re-verify the signature.

export type SignatureStatus = 'valid' | 'unsigned';

export interface Envelope {
  /** The request body exactly as received. */
  body: Buffer;
  /** Partitioning key: the conversation id, or '' when the body could not be parsed. */
  key: string;
  agent: string;
  receivedAtMs: number;
  signature: SignatureStatus;
  /** Set when ingest refused the payload after authenticating it: the consumer dead-letters it. */
  reject?: { code: string; reason: string };
}

/** An envelope together with its position in the queue it was read from. */
export interface QueuedEnvelope {
  envelope: Envelope;
  /** Queue partition (0 for the embedded log). */
  partition: number;
  /** Position within the partition; strictly increasing. */
  offset: number;
}

interface Meta {
  k: string;
  a: string;
  r: number;
  s: SignatureStatus;
  x?: { code: string; reason: string };
}

/** Serialises an envelope into one record: [u16 meta length][meta JSON][body]. */
export function encodeEnvelope(env: Envelope): Buffer {
  // JSON would turn NaN or Infinity into null: refuse rather than store a different value.
  if (!Number.isFinite(env.receivedAtMs)) throw new RangeError(`envelope receivedAtMs must be a finite number, not ${env.receivedAtMs}`);
  const meta: Meta = { k: env.key, a: env.agent, r: env.receivedAtMs, s: env.signature };
  if (env.reject) meta.x = env.reject;
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  if (metaBytes.length > 0xffff) throw new RangeError(`envelope metadata is ${metaBytes.length} bytes; the limit is 65535 (is the key or agent name that long?)`);
  const out = Buffer.allocUnsafe(2 + metaBytes.length + env.body.length);
  out.writeUInt16BE(metaBytes.length, 0);
  metaBytes.copy(out, 2);
  env.body.copy(out, 2 + metaBytes.length);
  return out;
}

export function decodeEnvelope(record: Buffer): Envelope {
  const metaLength = record.readUInt16BE(0);
  if (2 + metaLength > record.length) throw new RangeError(`envelope record of ${record.length} bytes claims ${metaLength} bytes of metadata`);
  const meta = JSON.parse(record.subarray(2, 2 + metaLength).toString('utf8')) as Meta;
  const env: Envelope = {
    body: record.subarray(2 + metaLength),
    key: meta.k,
    agent: meta.a,
    receivedAtMs: meta.r,
    signature: meta.s,
  };
  if (meta.x) env.reject = meta.x;
  return env;
}
