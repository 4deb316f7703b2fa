// Stores one batch of queued events exactly once, however often it is retried:
//   1. the insert token is derived from the batch's queue positions, so retrying the same
//      batch after a failure whose outcome was unknown is a no-op in the engine;
//   2. keys already in the table are skipped (replays after a crash form different batches,
//      and Aksita or anyone may send the same body twice);
//   3. duplicates within the batch are dropped before inserting.
// The table's ReplacingMergeTree key is the last line of defence behind these.
//
// Two steps, so that a consumer can convert the next batch while the engine inserts this one:
// prepareBatch (JavaScript: parse, validate, build rows) and storePrepared (the engine: key
// check and inserts; safe to retry, it changes nothing in the prepared batch).
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import { TabSeparatedWriter } from '../store/tab-separated.js';
import { REPLY_COLUMNS, replyKey, type DeadLetterRow, type ReplyKey, type ReplyRow, type Store } from '../store/store.js';
import { toRow } from './to-row.js';

export interface StoreBatchResult {
  stored: number;
  duplicates: number;
  deadLetters: number;
}

export interface PreparedBatch {
  /** Events in the batch, whatever became of them. */
  size: number;
  partition: number;
  queueName: string;
  token: string;
  /** The key of each reply to store, by replyKey: the first of each key in the batch, in the order of `rows`. */
  replies: ReadonlyMap<string, ReplyKey>;
  /** Those replies, encoded for the insert as they were converted. */
  rows: TabSeparatedWriter<ReplyRow>;
  deadLetters: readonly DeadLetterRow[];
  /** Replies dropped because the same key came earlier in the batch. */
  duplicatesInBatch: number;
}

// Rows converted between two yields to the event loop. Where the receiver shares this thread
// (the Kafka consumer inside `start`), a webhook must not wait behind a whole batch (20,000 rows
// take over 100 ms to convert); 64 rows take well under a millisecond. While webhooks keep
// arriving, each turn of the event loop serves all of them and then one slice, so a busy
// receiver keeps most of the thread.
const ROWS_PER_SLICE = 64;

export async function prepareBatch(batch: readonly QueuedEnvelope[], queueName: string): Promise<PreparedBatch> {
  const replies = new Map<string, ReplyKey>();
  // Sized for the batch: a row is its body twice (raw_body and the fields read from it) and a
  // little more, so the buffer is rarely grown and copied.
  let bodyBytes = 0;
  for (const item of batch) bodyBytes += item.envelope.body.length;
  const rows = new TabSeparatedWriter<ReplyRow>(REPLY_COLUMNS, 2 * bodyBytes + 256 * batch.length);
  const deadLetters: DeadLetterRow[] = [];
  let duplicatesInBatch = 0;
  for (let i = 0; i < batch.length; i++) {
    if (i > 0 && i % ROWS_PER_SLICE === 0) await yieldToEventLoop();
    const converted = toRow(batch[i]!, queueName);
    if (converted.kind === 'dead_letter') {
      deadLetters.push(converted.row);
      continue;
    }
    const { row } = converted;
    const key = replyKey(row);
    if (replies.has(key)) {
      duplicatesInBatch += 1;
      continue;
    }
    // Only the key outlives this step; the row object is garbage right away (see TabSeparatedWriter).
    replies.set(key, { agent: row.agent, message_id: row.message_id, event_time: row.event_time });
    rows.add(row);
  }
  // Token: queue, partition and offset range (one batch never spans partitions), plus the
  // receive times at both ends: offsets restart if a topic is deleted and re-created under the
  // same name, and a new batch must not match an old token and be silently skipped.
  const first = batch[0]!;
  const last = batch.at(-1)!;
  const token = `${queueName}:${first.partition}:${first.offset}-${last.offset}:${first.envelope.receivedAtMs}-${last.envelope.receivedAtMs}`;
  return { size: batch.length, partition: first.partition, queueName, token, replies, rows, deadLetters, duplicatesInBatch };
}

/** Which of the batch's reply keys (replyKey) the table holds already. */
export type StoredKeys = Pick<ReadonlySet<string>, 'has'>;

/** Asks the store which of the batch's replies it holds already. */
export function storedKeysOf(store: Store, prepared: PreparedBatch): Promise<StoredKeys> {
  return store.storedReplyKeys([...prepared.replies.values()]);
}

/**
 * Stores a prepared batch. `storedKeys`, when given, are the keys of the batch known to be in
 * the table already (see EmbeddedConsumer: checked while the previous batch was inserted);
 * otherwise the store is asked.
 */
export async function storePrepared(store: Store, prepared: PreparedBatch, metrics?: ConsumerMetrics, storedKeys?: Promise<StoredKeys>): Promise<StoreBatchResult> {
  const { replies, deadLetters, token, queueName, partition } = prepared;
  const stored = await (storedKeys ?? storedKeysOf(store, prepared));
  const isNew = [...replies.keys()].map((key) => !stored.has(key));
  const rows = prepared.rows.encoded(isNew.every(Boolean) ? undefined : (i) => isNew[i]!);
  const duplicates = prepared.duplicatesInBatch + replies.size - rows.count;

  const timer = metrics?.insertSeconds.startTimer({ table: 'human_agent_replies' });
  await store.insertReplies(rows, `${token}:replies`);
  timer?.();

  let newDeadLetters = deadLetters;
  if (deadLetters.length > 0) {
    const known = await store.storedDeadLetterOffsets(
      queueName,
      partition,
      deadLetters.map((d) => d.queue_offset),
    );
    newDeadLetters = deadLetters.filter((d) => !known.has(d.queue_offset));
    await store.insertDeadLetters(newDeadLetters, `${token}:dead_letters`);
  }

  if (metrics) {
    metrics.batchRows.observe(prepared.size);
    metrics.storedRows.inc({ table: 'human_agent_replies' }, rows.count);
    metrics.duplicatesSkipped.inc(duplicates);
    for (const d of newDeadLetters) metrics.deadLetters.inc({ reason: d.reason_code });
  }
  return { stored: rows.count, duplicates, deadLetters: newDeadLetters.length };
}
