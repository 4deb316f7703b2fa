// Envelope <-> Kafka message. The value is the exact body bytes Aksita signed; receipt
// metadata travels in headers (ARCHITECTURE.md, promises), so any reader can re-verify the signature.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Envelope, SignatureStatus } from './envelope.js';
import { FetchedRecord } from './kafkajs-record-decoder-patch.js';

export const HEADERS = {
  agent: 'aksita-agent',
  receivedAt: 'aksita-received-at',
  signature: 'aksita-signature-status',
  rejectCode: 'aksita-reject-code',
  rejectReason: 'aksita-reject-reason',
} as const;

/** One record as both send paths write it: the fast path's encoder (kafka-sender/record-batch.ts) and kafkajs's producer. */
export interface KafkaRecord {
  key: Buffer | null;
  value: Buffer;
  /** Milliseconds since the epoch: when ingest received the event. */
  timestamp: number;
  headers: [name: string, value: string][];
}

/** The one mapping of an envelope to a Kafka record. */
export function toRecord(env: Envelope): KafkaRecord {
  const headers: [string, string][] = [
    [HEADERS.agent, env.agent],
    [HEADERS.receivedAt, String(env.receivedAtMs)],
    [HEADERS.signature, env.signature],
  ];
  if (env.reject) headers.push([HEADERS.rejectCode, env.reject.code], [HEADERS.rejectReason, env.reject.reason]);
  return { key: kafkaKey(env), value: env.body, timestamp: env.receivedAtMs, headers };
}

/** The same record as kafkajs's producer takes it (the forwarding path). */
export function toKafkaMessage(env: Envelope): Message {
  const r = toRecord(env);
  const headers: IHeaders = {};
  for (const [name, value] of r.headers) headers[name] = value;
  return { key: r.key, value: r.value, headers, timestamp: String(r.timestamp) };
}

/**
 * The message key of an envelope, for both send paths. An empty key would send every unparseable
 * body to one partition; null spreads them. As bytes: the partitioner hashes bytes and the
 * encoder writes them, so it is encoded once.
 */
export const kafkaKey = (env: Envelope): Buffer | null => (env.key === '' ? null : Buffer.from(env.key));

const header = (headers: IHeaders | undefined, name: string): string | undefined => {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  // A null value (the protocol allows one) is taken as absent.
  return one === undefined || one === null ? undefined : one.toString();
};

export function fromKafkaMessage(message: KafkaMessage): Envelope {
  if (message instanceof FetchedRecord) return fromFetchedRecord(message);
  const env: Envelope = {
    body: message.value ?? Buffer.alloc(0),
    key: message.key?.toString('utf8') ?? '',
    agent: header(message.headers, HEADERS.agent) ?? 'default',
    receivedAtMs: Number(header(message.headers, HEADERS.receivedAt) ?? message.timestamp),
    signature: (header(message.headers, HEADERS.signature) ?? 'unsigned') as SignatureStatus,
  };
  const code = header(message.headers, HEADERS.rejectCode);
  if (code) env.reject = { code, reason: header(message.headers, HEADERS.rejectReason) ?? '' };
  return env;
}

// Reading a fetched record's headers straight from the fetch's bytes: no Buffer, string or
// object per header, only the values the envelope keeps (BENCHMARKS.md, "Lean fetched records").
const NAMES = [HEADERS.agent, HEADERS.receivedAt, HEADERS.signature, HEADERS.rejectCode, HEADERS.rejectReason].map((n) => Buffer.from(n));
const [AGENT, RECEIVED_AT, SIGNATURE, REJECT_CODE, REJECT_REASON] = [0, 1, 2, 3, 4] as const;
const SIGNATURES: readonly [Buffer, SignatureStatus][] = [
  [Buffer.from('valid'), 'valid'],
  [Buffer.from('unsigned'), 'unsigned'],
];
/** Per known header: where its first value starts and its length (-1: null, NOT_SEEN: absent). Reused: one record at a time. */
const valueAt = new Int32Array(NAMES.length);
const valueLength = new Int32Array(NAMES.length);
const NOT_SEEN = -2;
/** The bytes noteHeader reads: the record being read. */
let scanned: Buffer = Buffer.alloc(0);
/** The agent decoded last, by its bytes: a topic holds few agents, so most records reuse it. */
let lastAgent: { bytes: Buffer; text: string } = { bytes: Buffer.from('default'), text: 'default' };

function sameBytes(buffer: Buffer, at: number, length: number, expected: Buffer): boolean {
  if (length !== expected.length) return false;
  for (let i = 0; i < length; i++) if (buffer[at + i] !== expected[i]) return false;
  return true;
}

function headerText(buffer: Buffer, n: number): string | undefined {
  return valueLength[n]! < 0 ? undefined : buffer.toString('utf8', valueAt[n], valueAt[n]! + valueLength[n]!);
}

/** Notes where the first value of each known header lies (as header() takes the first). */
function noteHeader(nameAt: number, nameLength: number, at: number, length: number): void {
  for (let n = 0; n < NAMES.length; n++) {
    if (valueLength[n] === NOT_SEEN && sameBytes(scanned, nameAt, nameLength, NAMES[n]!)) {
      valueAt[n] = at;
      valueLength[n] = length;
    }
  }
}

/** fromKafkaMessage for a record of the patched decoder: the same envelope, read from the fetch's bytes. */
function fromFetchedRecord(record: FetchedRecord): Envelope {
  const { buffer } = record;
  scanned = buffer;
  valueLength.fill(NOT_SEEN);
  record.forEachHeader(noteHeader);
  const env: Envelope = {
    body: record.value ?? Buffer.alloc(0),
    key: record.keyText(),
    agent: agentOf(buffer),
    receivedAtMs: Number(headerText(buffer, RECEIVED_AT) ?? record.timestamp),
    signature: signatureOf(buffer),
  };
  const code = headerText(buffer, REJECT_CODE);
  if (code) env.reject = { code, reason: headerText(buffer, REJECT_REASON) ?? '' };
  return env;
}

function agentOf(buffer: Buffer): string {
  const length = valueLength[AGENT]!;
  if (length < 0) return 'default';
  const at = valueAt[AGENT]!;
  if (!sameBytes(buffer, at, length, lastAgent.bytes)) {
    lastAgent = { bytes: Buffer.from(buffer.subarray(at, at + length)), text: buffer.toString('utf8', at, at + length) };
  }
  return lastAgent.text;
}

function signatureOf(buffer: Buffer): SignatureStatus {
  const length = valueLength[SIGNATURE]!;
  if (length < 0) return 'unsigned';
  for (const [bytes, status] of SIGNATURES) if (sameBytes(buffer, valueAt[SIGNATURE]!, length, bytes)) return status;
  return headerText(buffer, SIGNATURE) as SignatureStatus;
}
