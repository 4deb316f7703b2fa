// Envelope <-> Kafka message. The value is the exact body bytes Aksita signed; receipt
// metadata travels in headers (ARCHITECTURE.md, promises), so any reader can re-verify the signature.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Envelope, SignatureStatus } from './envelope.js';

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
  return one === undefined ? undefined : one.toString();
};

export function fromKafkaMessage(message: KafkaMessage): Envelope {
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
