// Queue envelope -> store row. Ingest validated the payload already; it is validated again
// here because the queue may hold events from an older ingest, or be replayed after a fix.
import { describeIssues, parseEventTime, payloadSchema } from '../core/payload.js';
import type { QueuedEnvelope } from '../queue/envelope.js';
import { toClickHouseTime, type DeadLetterRow, type ReplyRow } from '../store/store.js';

export type Converted = { kind: 'reply'; row: ReplyRow } | { kind: 'dead_letter'; row: DeadLetterRow };

export function toRow(item: QueuedEnvelope, queueName: string): Converted {
  const { envelope } = item;
  const position = { queue_name: queueName, queue_partition: item.partition, queue_offset: item.offset };
  const deadLetter = (code: string, reason: string): Converted => ({
    kind: 'dead_letter',
    row: {
      agent: envelope.agent,
      received_at: toClickHouseTime(envelope.receivedAtMs),
      reason_code: code,
      reason,
      signature_status: envelope.signature,
      raw_body_base64: envelope.body.toString('base64'),
      ...position,
    },
  });
  if (envelope.reject) return deadLetter(envelope.reject.code, envelope.reject.reason);

  let json: unknown;
  try {
    json = JSON.parse(envelope.body.toString('utf8'));
  } catch (err) {
    return deadLetter('malformed_json', `Body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return deadLetter('invalid_payload', `Payload does not match the Aksita webhook schema: ${describeIssues(parsed.error)}`);
  const p = parsed.data;
  const time = parseEventTime(p.timestamp);
  if (typeof time === 'string') return deadLetter('invalid_payload', `timestamp: ${time}`);
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
      raw_body: envelope.body.toString('utf8'),
      ...position,
    },
  };
}
