// Rows for the operations tests, made the consumer's way: a payload body through toRow.
import { toRow } from '../../consumer/to-row.js';
import { toClickHouseTime, type DeadLetterRow, type ReplyRow, type Store } from '../../store/store.js';
import { samplePayload } from '../helpers/sign.js';

let offset = 0;

/** A reply row of `payload` (samplePayload's fields overridden), as the consumer would store it. */
export function replyRow(overrides: Record<string, unknown>, agent = 'sales'): ReplyRow {
  offset += 1;
  const body = Buffer.from(JSON.stringify(samplePayload(overrides)));
  const converted = toRow({ envelope: { body, key: '', agent, receivedAtMs: Date.now(), signature: 'valid' }, partition: 0, offset }, 'test-queue');
  if (converted.kind !== 'reply') throw new Error(`not a reply: ${converted.row.reason}`);
  return converted.row;
}

/** A dead letter holding `body` exactly, as the consumer stores a refused payload. */
export function deadLetterRow(body: string, reasonCode = 'invalid_payload', agent = 'sales'): DeadLetterRow {
  offset += 1;
  return {
    agent,
    received_at: toClickHouseTime(Date.now()),
    reason_code: reasonCode,
    reason: `refused: ${reasonCode}`,
    signature_status: 'valid',
    raw_body_base64: Buffer.from(body).toString('base64'),
    queue_name: 'test-queue',
    queue_partition: 0,
    queue_offset: offset,
  };
}

export async function scalar(store: Store, sql: string): Promise<string> {
  return (await store.query(sql, { format: 'TSVRaw' })).toString('utf8').trim();
}
