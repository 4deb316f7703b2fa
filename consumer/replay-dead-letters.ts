// Dead-letter replay: each stored raw body goes through today's toRow, the consumer's own path.
// Those that now pass become replies exactly once: the stored-key check skips replies already
// in the table, the insert token is made of the dead letters' queue positions (a retried page
// is a no-op), and only then are the replayed dead letters deleted. A run cut short between the
// insert and the delete leaves dead letters that the next run finds stored and just deletes.
import { deleteDeadLetters, readDeadLetters, type DeadLetterFilter, type ReplayResult, type StoredDeadLetter } from '../store/dead-letters.js';
import { replyKey, type ReplyRow, type Store } from '../store/store.js';
import type { SignatureStatus } from '../queue/envelope.js';
import { toRow } from './to-row.js';

const PAGE = 1_000;

export interface ReplayOptions extends DeadLetterFilter {
  dryRun?: boolean;
  /** Called with the number of dead letters looked at, after each page. */
  onProgress?: (n: number) => void;
}

function convert(d: StoredDeadLetter) {
  const item = {
    envelope: { body: d.body, key: '', agent: d.agent, receivedAtMs: d.received_at_ms, signature: d.signature_status as SignatureStatus },
    partition: d.queue_partition,
    offset: d.queue_offset,
  };
  return toRow(item, d.queue_name);
}

export async function replayDeadLetters(store: Store, options: ReplayOptions = {}): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: 0, alreadyStored: 0, stillFailing: {}, dryRun: options.dryRun === true };
  let after: StoredDeadLetter | undefined;
  for (;;) {
    const page = await readDeadLetters(store, options, after, PAGE);
    if (page.length === 0) break;
    after = page.at(-1);
    const passed: { letter: StoredDeadLetter; row: ReplyRow }[] = [];
    for (const letter of page) {
      const converted = convert(letter);
      if (converted.kind === 'reply') {
        passed.push({ letter, row: converted.row });
        continue;
      }
      const failing = (result.stillFailing[converted.row.reason_code] ??= { count: 0, example: converted.row.reason });
      failing.count += 1;
    }
    const stored = await store.storedReplyKeys(passed.map(({ row }) => ({ agent: row.agent, message_id: row.message_id })));
    const seen = new Set<string>();
    const fresh: ReplyRow[] = [];
    for (const { row } of passed) {
      const key = replyKey(row);
      if (stored.has(key) || seen.has(key)) result.alreadyStored += 1;
      else fresh.push(row);
      seen.add(key);
    }
    result.replayed += passed.length;
    options.onProgress?.(page.length);
    if (options.dryRun || passed.length === 0) continue;
    const first = passed[0]!.letter;
    const last = passed.at(-1)!.letter;
    const token = `replay:${first.queue_name}:${first.queue_partition}:${first.queue_offset}-${last.queue_name}:${last.queue_partition}:${last.queue_offset}:${passed.length}`;
    await store.insertReplies(fresh, token);
    await deleteDeadLetters(
      store,
      passed.map(({ letter }) => letter),
    );
  }
  return result;
}
