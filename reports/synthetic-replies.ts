// Synthetic replies generated inside the engine (INSERT ... SELECT FROM numbers(n)), for
// measuring exports at scale without building millions of rows in JavaScript.
import { REPLIES_TABLE } from '../store/migrations.js';
import type { Store } from '../store/store.js';

/**
 * Inserts `count` replies from four agents, seven replies per conversation, one every 2.5 s
 * from 2026-01-01 00:00 UTC, with 0.3-1.3 s delivery latency.
 */
export async function insertSyntheticReplies(store: Store, count: number): Promise<void> {
  await store.query(
    `INSERT INTO ${REPLIES_TABLE} (agent, message_id, conversation_id, response, credits, remaining_credits,
       additional_context, source, event_time, event_utc_offset_minutes, received_at, signature_status, raw_body,
       queue_name, queue_partition, queue_offset)
     SELECT
       ['sales', 'support', 'billing', 'ops'][number % 4 + 1],
       concat('syn-', toString(number)),
       concat('conv-', toString(intDiv(number, 28)), '-', toString(number % 4)),
       ['Thanks for waiting, let me check that for you.', concat('Your order ', toString(number), ' ships today.')],
       0,
       1000000 - number / 100,
       '',
       'human_agent',
       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 2500),
       420,
       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 2500 + 300 + number % 1000),
       'unsigned',
       '{}',
       'synthetic',
       0,
       number
     FROM numbers({count:UInt64})`,
    { format: 'TSV', params: { count } },
  );
}
