// Erasure on request: every row of a conversation (or one message) leaves the replies table,
// the dead letters (matched inside the raw body, which is all a dead letter has) and the
// five-minute rollup. The rollup is fed by a materialized view, which deleting from the table
// does not reach: the affected buckets are deleted and computed again from what remains.
// Values are always bound parameters; deletes are mutations waited for (mutations_sync = 2), so
// the rows are gone, on every replica, when this returns.
import { DEAD_LETTERS_TABLE, REPLIES_TABLE, ROLLUP_TABLE } from './migrations.js';
import type { Store } from './store.js';

export interface EraseTarget {
  conversationId?: string;
  messageId?: string;
  agent?: string;
}

export interface EraseResult {
  /** Rows removed per table (the rollup: five-minute buckets computed again). */
  human_agent_replies: number;
  dead_letters: number;
  replies_5m: number;
}

const WAIT = 'SETTINGS mutations_sync = 2';
const BUCKET = 'toStartOfInterval(toDateTime(event_time), INTERVAL 300 second)';

// A dead letter's id as a string, or as a number; a body that is not JSON at all is matched by
// the quoted id anywhere in it (erasure errs on the side of removing).
const bodyMatch = (field: string, param: string) =>
  `(JSONExtractString(raw_body, '${field}') = {${param}:String} OR JSONExtractRaw(raw_body, '${field}') = {${param}:String}
    OR (NOT isValidJSON(raw_body) AND position(raw_body, concat('"', {${param}:String}, '"')) > 0))`;

function conditions(target: EraseTarget): { replies: string; deadLetters: string; params: Record<string, string> } {
  const replies: string[] = [];
  const deadLetters: string[] = [];
  const params: Record<string, string> = {};
  if (target.conversationId !== undefined) {
    params.conversation = target.conversationId;
    replies.push('conversation_id = {conversation:String}');
    deadLetters.push(bodyMatch('conversation_id', 'conversation'));
  }
  if (target.messageId !== undefined) {
    params.message = target.messageId;
    replies.push('message_id = {message:String}');
    deadLetters.push(bodyMatch('message_id', 'message'));
  }
  if (target.agent !== undefined) {
    params.agent = target.agent;
    replies.push('agent = {agent:String}');
    deadLetters.push('agent = {agent:String}');
  }
  if (replies.length === 0 || (target.agent !== undefined && replies.length === 1)) throw new Error('erase: a conversation or message id is required');
  return { replies: replies.join(' AND '), deadLetters: deadLetters.join(' AND '), params };
}

async function rows(store: Store, sql: string, params: Record<string, unknown>): Promise<string[][]> {
  const out = (await store.query(sql, { format: 'TSVRaw', params })).toString('utf8');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
}

const countOf = async (store: Store, table: string, where: string, params: Record<string, string>) => Number((await rows(store, `SELECT count() FROM ${table} WHERE ${where}`, params))[0]?.[0] ?? 0);

/** Removes every row of `target`; returns how many rows each table lost. */
export async function erase(store: Store, target: EraseTarget): Promise<EraseResult> {
  const where = conditions(target);
  // The buckets to compute again, per agent, read before their rows go.
  const buckets = new Map<string, number[]>();
  for (const [agent, bucket] of await rows(store, `SELECT DISTINCT agent, toUnixTimestamp(${BUCKET}) FROM ${REPLIES_TABLE} WHERE ${where.replies}`, where.params)) {
    buckets.set(agent!, [...(buckets.get(agent!) ?? []), Number(bucket)]);
  }
  const replies = await countOf(store, REPLIES_TABLE, where.replies, where.params);
  const deadLetters = await countOf(store, DEAD_LETTERS_TABLE, where.deadLetters, where.params);
  if (replies > 0) await store.query(`ALTER TABLE ${REPLIES_TABLE} DELETE WHERE ${where.replies} ${WAIT}`, { format: 'TSVRaw', params: where.params });
  if (deadLetters > 0) await store.query(`ALTER TABLE ${DEAD_LETTERS_TABLE} DELETE WHERE ${where.deadLetters} ${WAIT}`, { format: 'TSVRaw', params: where.params });
  let rollup = 0;
  for (const [agent, list] of buckets) {
    const params = { agent, buckets: list, from: Math.min(...list), to: Math.max(...list) + 300 };
    const inBuckets = 'agent = {agent:String} AND toUnixTimestamp(bucket) IN {buckets:Array(UInt32)}';
    await store.query(`ALTER TABLE ${ROLLUP_TABLE} DELETE WHERE ${inBuckets} ${WAIT}`, { format: 'TSVRaw', params });
    // Idempotent aggregates (migrations.ts, version 4): a row the view adds meanwhile changes nothing.
    await store.query(
      `INSERT INTO ${ROLLUP_TABLE}
       SELECT agent, ${BUCKET} AS bucket, uniqExactState(conversation_id), min((event_time, received_at, message_id, remaining_credits)),
         max((event_time, received_at, message_id, remaining_credits)), max(remaining_credits)
       FROM ${REPLIES_TABLE}
       WHERE agent = {agent:String} AND event_time >= toDateTime64({from:UInt32}, 3, 'UTC') AND event_time < toDateTime64({to:UInt32}, 3, 'UTC')
         AND toUnixTimestamp(${BUCKET}) IN {buckets:Array(UInt32)}
       GROUP BY agent, bucket`,
      { format: 'TSVRaw', params },
    );
    rollup += list.length;
  }
  return { human_agent_replies: replies, dead_letters: deadLetters, replies_5m: rollup };
}
