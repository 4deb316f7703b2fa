// The store interface: what the consumer, the query endpoint and the CLI need from ClickHouse.
// Implemented by chdb-store.ts (embedded engine); a ClickHouse-server implementation plugs in
// behind the same interface.

import type { InsertRows } from './insert-payload.js';
import type { QueryLimits } from './read-only-query.js';

/** One row of aksita.human_agent_replies as inserted (defaults fill the rest). */
export interface ReplyRow {
  agent: string;
  message_id: string;
  conversation_id: string;
  response: string[];
  credits: number;
  remaining_credits: number;
  additional_context: string;
  source: string;
  /** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC: explicit strings keep milliseconds exact. */
  event_time: string;
  event_utc_offset_minutes: number;
  received_at: string;
  signature_status: string;
  raw_body: string;
  queue_name: string;
  queue_partition: number;
  queue_offset: number;
}

/** One row of aksita.dead_letters as inserted. */
export interface DeadLetterRow {
  agent: string;
  received_at: string;
  reason_code: string;
  reason: string;
  signature_status: string;
  raw_body_base64: string;
  queue_name: string;
  queue_partition: number;
  queue_offset: number;
}

/** Every column of ReplyRow, in the order the consumer encodes them. */
export const REPLY_COLUMNS = [
  'agent',
  'message_id',
  'conversation_id',
  'response',
  'credits',
  'remaining_credits',
  'additional_context',
  'source',
  'event_time',
  'event_utc_offset_minutes',
  'received_at',
  'signature_status',
  'raw_body',
  'queue_name',
  'queue_partition',
  'queue_offset',
] as const satisfies readonly (keyof ReplyRow)[];
// A column added to ReplyRow but not to the list above fails to compile here.
type Unlisted = Exclude<keyof ReplyRow, (typeof REPLY_COLUMNS)[number]>;
true satisfies [Unlisted] extends [never] ? true : never;

export interface ReplyKey {
  agent: string;
  message_id: string;
  /** When given, the lookup only searches near this time (a re-delivered reply has the same timestamp). */
  event_time?: string;
}

export const replyKey = (k: ReplyKey): string => `${k.agent}\u0000${k.message_id}`;

/** replyKey of each (agent, message_id) row of a JSONCompactEachRow answer. */
export function replyKeysOf(jsonCompactEachRow: string): Set<string> {
  const found = new Set<string>();
  for (const line of jsonCompactEachRow.split('\n')) {
    if (!line) continue;
    const [agent, messageId] = JSON.parse(line) as [string, string];
    found.add(replyKey({ agent, message_id: messageId }));
  }
  return found;
}

export interface QueryOptions {
  format: string;
  /** Values for {name:Type} placeholders, bound by the engine (never spliced into SQL). */
  params?: Record<string, unknown>;
}

export interface ReadOnlyOptions {
  /** What the query may use. @default DEFAULT_LIMITS (read-only-query.ts) */
  limits?: QueryLimits;
  /** Aborted when the caller no longer wants the result: the engine stops the query. */
  signal?: AbortSignal;
}

export interface Store {
  readonly kind: 'chdb' | 'clickhouse';
  /** Runs pending migrations; returns the versions it applied. */
  migrate(): Promise<number[]>;
  /** Which of `keys` are already stored (as replyKey strings). */
  storedReplyKeys(keys: readonly ReplyKey[]): Promise<Set<string>>;
  /** Which of `offsets` of one queue partition are already in the dead-letter table. */
  storedDeadLetterOffsets(queueName: string, partition: number, offsets: readonly number[]): Promise<Set<number>>;
  /** Inserts rows; a retry with the same token is a no-op. */
  insertReplies(rows: InsertRows<ReplyRow>, token: string): Promise<void>;
  insertDeadLetters(rows: readonly DeadLetterRow[], token: string): Promise<void>;
  /** Runs trusted SQL written by this project. */
  query(sql: string, options: QueryOptions): Promise<Buffer>;
  /** Runs trusted SQL and yields the output in chunks, so large results never sit in memory whole. */
  queryStream(sql: string, options: QueryOptions): AsyncIterable<Uint8Array>;
  /** Runs SQL from a user, refusing anything that is not read-only (read-only-query.ts). */
  readOnlyQuery(sql: string, format: string, options?: ReadOnlyOptions): Promise<Buffer>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// The consumer formats two times per row (event and receipt, usually in different seconds), and
// each kind mostly stays within few seconds over a batch: the text up to the second is kept for
// the last two seconds formatted, and only the milliseconds are written per call (Date and
// toISOString cost about 0.8 µs a call, BENCHMARKS.md, "Consumer").
const secondsKept: [number, string][] = [
  [Number.NaN, ''],
  [Number.NaN, ''],
];
let replaceNext = 0;

/** Formats epoch milliseconds as a ClickHouse DateTime64(3) literal in UTC. */
export function toClickHouseTime(epochMs: number): string {
  // As Date does: a fraction of a millisecond is dropped (towards zero).
  const ms = Math.trunc(epochMs);
  const second = Math.floor(ms / 1000);
  const milli = ms - second * 1000;
  const millis = (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli;
  if (secondsKept[0]![0] === second) return secondsKept[0]![1] + millis;
  if (secondsKept[1]![0] === second) return secondsKept[1]![1] + millis;
  // 'YYYY-MM-DD HH:MM:SS.' (toISOString throws a RangeError for a time Date cannot hold).
  const text = new Date(second * 1000).toISOString().replace('T', ' ').slice(0, 20);
  secondsKept[replaceNext] = [second, text];
  replaceNext = 1 - replaceNext;
  return text + millis;
}
