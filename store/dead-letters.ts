// Reading and removing dead letters, for `reply-analytics dead-letters` and its admin endpoint.
// A dead letter is known by its queue position (the table's key); filters are bound parameters.
import { DEAD_LETTERS_TABLE } from './migrations.js';
import type { Store } from './store.js';

export interface DeadLetterFilter {
  /** reason_code, e.g. invalid_payload. */
  reason?: string;
  /** Received at or after this time (ISO 8601 or 'YYYY-MM-DD[ HH:MM:SS]', UTC unless it has an offset). */
  since?: string;
}

export interface DeadLetterPosition {
  queue_name: string;
  queue_partition: number;
  queue_offset: number;
}

export interface DeadLetterSummary extends DeadLetterPosition {
  received_at: string;
  agent: string;
  reason_code: string;
  reason: string;
  /** From the raw body where it has them; '' otherwise. */
  conversation_id: string;
  message_id: string;
}

export interface StoredDeadLetter extends DeadLetterPosition {
  agent: string;
  received_at_ms: number;
  signature_status: string;
  body: Buffer;
}

export interface ReplayResult {
  /** Dead letters that pass today's validation and are now replies (or were already). */
  replayed: number;
  /** Of those, how many the replies table already held (a replay run again adds nothing). */
  alreadyStored: number;
  /** Dead letters that still fail, by reason code, with one example reason each. */
  stillFailing: Record<string, { count: number; example: string }>;
  dryRun: boolean;
}

// `table`: a qualifier where an output column shadows received_at.
function where(filter: DeadLetterFilter, table = ''): { sql: string; params: Record<string, string> } {
  const parts = ['1'];
  const params: Record<string, string> = {};
  if (filter.reason !== undefined) {
    parts.push('reason_code = {reason:String}');
    params.reason = filter.reason;
  }
  if (filter.since !== undefined) {
    parts.push(`${table}received_at >= parseDateTime64BestEffort({since:String}, 3, 'UTC')`);
    params.since = filter.since;
  }
  return { sql: parts.join(' AND '), params };
}

const jsonLines = <T>(buf: Buffer): T[] =>
  buf
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

/** The dead letters matching `filter`, oldest first. */
export async function listDeadLetters(store: Store, filter: DeadLetterFilter, limit = 10_000): Promise<DeadLetterSummary[]> {
  const w = where(filter, 'd.');
  const out = await store.query(
    `SELECT toString(d.received_at) AS received_at, agent, reason_code, reason,
       JSONExtractString(raw_body, 'conversation_id') AS conversation_id, JSONExtractString(raw_body, 'message_id') AS message_id,
       queue_name, queue_partition, queue_offset
     FROM ${DEAD_LETTERS_TABLE} AS d FINAL WHERE ${w.sql}
     ORDER BY d.received_at, queue_name, queue_partition, queue_offset LIMIT {limit:UInt32}
     SETTINGS output_format_json_quote_64bit_integers = 0`,
    { format: 'JSONEachRow', params: { ...w.params, limit } },
  );
  return jsonLines<DeadLetterSummary>(out);
}

/** How many dead letters match `filter`. */
export async function countDeadLetters(store: Store, filter: DeadLetterFilter): Promise<number> {
  const w = where(filter);
  const out = await store.query(`SELECT count() FROM ${DEAD_LETTERS_TABLE} FINAL WHERE ${w.sql}`, { format: 'TSVRaw', params: w.params });
  return Number(out.toString('utf8').trim());
}

/** One page of dead letters with their bodies, in key order after `after` (for replay). */
export async function readDeadLetters(store: Store, filter: DeadLetterFilter, after: DeadLetterPosition | undefined, limit: number): Promise<StoredDeadLetter[]> {
  const w = where(filter);
  const start = after ?? { queue_name: '', queue_partition: 0, queue_offset: -1 };
  const out = await store.query(
    `SELECT queue_name, queue_partition, queue_offset, agent, toUnixTimestamp64Milli(received_at) AS received_at_ms,
       signature_status, base64Encode(raw_body) AS body
     FROM ${DEAD_LETTERS_TABLE} FINAL
     WHERE ${w.sql} AND (queue_name, queue_partition, toInt64(queue_offset)) > ({q:String}, {p:UInt32}, {o:Int64})
     ORDER BY queue_name, queue_partition, queue_offset LIMIT {limit:UInt32}
     SETTINGS output_format_json_quote_64bit_integers = 0`,
    { format: 'JSONEachRow', params: { ...w.params, q: start.queue_name, p: start.queue_partition, o: start.queue_offset, limit } },
  );
  return jsonLines<Omit<StoredDeadLetter, 'body'> & { body: string }>(out).map((d) => ({ ...d, body: Buffer.from(d.body, 'base64') }));
}

/** Removes the dead letters at `positions` (replayed ones), waiting until they are gone. */
export async function deleteDeadLetters(store: Store, positions: readonly DeadLetterPosition[]): Promise<void> {
  const groups = new Map<string, { q: string; p: number; o: number[] }>();
  for (const d of positions) {
    const key = `${d.queue_name}\u0000${d.queue_partition}`;
    const group = groups.get(key) ?? { q: d.queue_name, p: d.queue_partition, o: [] };
    group.o.push(d.queue_offset);
    groups.set(key, group);
  }
  for (const params of groups.values()) {
    await store.query(`ALTER TABLE ${DEAD_LETTERS_TABLE} DELETE WHERE queue_name = {q:String} AND queue_partition = {p:UInt32} AND queue_offset IN {o:Array(UInt64)} SETTINGS mutations_sync = 2`, {
      format: 'TSVRaw',
      params,
    });
  }
}
