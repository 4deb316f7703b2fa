// Queue envelope -> store row. Ingest validated the payload already; it is validated again
// here because the queue may hold events from an older ingest, or be replayed after a fix.
import { AppError } from '../core/errors.js';
import { describeIssues, payloadSchema } from '../core/payload.js';
import { parseBody } from '../core/parse-body.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import { toClickHouseTime, type DeadLetterRow, type ReplyRow } from '../store/store.js';

export type Converted = { kind: 'reply'; row: ReplyRow } | { kind: 'dead_letter'; row: DeadLetterRow };

function deadLetter(item: QueuedEnvelope, queueName: string, code: string, reason: string): Converted {
  const { envelope } = item;
  return {
    kind: 'dead_letter',
    row: {
      agent: envelope.agent,
      received_at: toClickHouseTime(envelope.receivedAtMs),
      reason_code: code,
      reason,
      signature_status: envelope.signature,
      raw_body_base64: envelope.body.toString('base64'),
      queue_name: queueName,
      queue_partition: item.partition,
      queue_offset: item.offset,
    },
  };
}

// Runs once per stored row: no closures or spreads here (each one is garbage per row).
export function toRow(item: QueuedEnvelope, queueName: string): Converted {
  const { envelope } = item;
  if (envelope.reject) return deadLetter(item, queueName, envelope.reject.code, envelope.reject.reason);

  // The same checks of the bytes as ingest's (UTF-8, one value per key, no prototype keys), so a
  // body that reached the queue some other way is held to the same rules.
  const parsed = parseBody(envelope.body);
  if (!parsed.ok) {
    const error = new AppError(parsed.code, parsed.args);
    return deadLetter(item, queueName, error.code, error.message);
  }
  const checked = payloadSchema.safeParse(parsed.value);
  if (!checked.success) return deadLetter(item, queueName, 'invalid_payload', `Payload does not match the Aksita webhook schema: ${describeIssues(checked.error, parsed.value)}`);
  const p = checked.data;
  const time = p.timestamp;
  return {
    kind: 'reply',
    row: {
      agent: envelope.agent,
      message_id: p.message_id,
      conversation_id: p.conversation_id,
      response: p.response,
      credits: p.credits,
      remaining_credits: p.remaining_credits,
      additional_context: p.additional_context,
      source: p.source,
      event_time: toClickHouseTime(time.epochMs),
      event_utc_offset_minutes: time.offsetMinutes,
      received_at: toClickHouseTime(envelope.receivedAtMs),
      signature_status: envelope.signature,
      raw_body: parsed.text,
      queue_name: queueName,
      queue_partition: item.partition,
      queue_offset: item.offset,
    },
  };
}
