// Stores one batch of queued events exactly once, however often it is retried:
//   1. the insert token is derived from the batch's queue positions, so retrying the same
//      batch after a failure whose outcome was unknown is a no-op in the engine;
//   2. keys already in the table are skipped (replays after a crash form different batches,
//      and Aksita or anyone may send the same body twice);
//   3. duplicates within the batch are dropped before inserting.
// The table's ReplacingMergeTree key is the last line of defence behind these.
import type { Metrics } from '../core/metrics.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import { replyKey, type DeadLetterRow, type ReplyRow, type Store } from '../store/store.js';
import { toRow } from './to-row.js';

export interface StoreBatchResult {
  stored: number;
  duplicates: number;
  deadLetters: number;
}

export async function storeBatch(
  store: Store,
  batch: readonly QueuedEnvelope[],
  queueName: string,
  metrics?: Metrics,
): Promise<StoreBatchResult> {
  const replies = new Map<string, ReplyRow>();
  const deadLetters: DeadLetterRow[] = [];
  let duplicates = 0;
  for (const item of batch) {
    const converted = toRow(item, queueName);
    if (converted.kind === 'dead_letter') {
      deadLetters.push(converted.row);
      continue;
    }
    const key = replyKey(converted.row);
    if (replies.has(key)) duplicates += 1;
    else replies.set(key, converted.row);
  }

  const stored = await store.storedReplyKeys([...replies.values()]);
  for (const key of stored) if (replies.delete(key)) duplicates += 1;

  // Token: queue, partition and offset range (one batch never spans partitions), plus the
  // receive times at both ends: offsets restart if a topic is deleted and re-created under the
  // same name, and a new batch must not match an old token and be silently skipped.
  const first = batch[0]!;
  const last = batch.at(-1)!;
  const token = `${queueName}:${first.partition}:${first.offset}-${last.offset}:${first.envelope.receivedAtMs}-${last.envelope.receivedAtMs}`;
  const rows = [...replies.values()];
  const timer = metrics?.insertSeconds.startTimer({ table: 'human_agent_replies' });
  await store.insertReplies(rows, `${token}:replies`);
  timer?.();

  let newDeadLetters = deadLetters;
  if (deadLetters.length > 0) {
    const known = await store.storedDeadLetterOffsets(queueName, first.partition, deadLetters.map((d) => d.queue_offset));
    newDeadLetters = deadLetters.filter((d) => !known.has(d.queue_offset));
    await store.insertDeadLetters(newDeadLetters, `${token}:dead_letters`);
  }

  if (metrics) {
    metrics.batchRows.observe(batch.length);
    metrics.storedRows.inc({ table: 'human_agent_replies' }, rows.length);
    metrics.duplicatesSkipped.inc(duplicates);
    for (const d of newDeadLetters) metrics.deadLetters.inc({ reason: d.reason_code });
  }
  return { stored: rows.length, duplicates, deadLetters: newDeadLetters.length };
}
