// The data set the dashboard SQL is checked against: three agents in three UTC offsets over one
// week, with a known credit trend (one agent tops up mid-week), known latencies, dead letters,
// spec deviations and rows outside the range. Rows are built from readable rules here; the
// expected answers are computed from these rows in expected.ts, never by SQL.
import { toClickHouseTime, type DeadLetterRow, type ReplyRow } from '../../store/store.js';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** Monday 2026-03-02 00:00 UTC: the fixture week is [WEEK_START, WEEK_START + 7 days]. */
export const WEEK_START = Date.UTC(2026, 2, 2);

/** A reply as the tests reason about it: epoch milliseconds instead of strings. */
export interface FixtureReply {
  agent: string;
  conversation: string;
  messageId: string;
  eventMs: number;
  offsetMinutes: number;
  receivedMs: number;
  storedMs: number;
  parts: number;
  credits: number;
  remaining: number;
  source: string;
  signature: 'valid' | 'unsigned';
}

export interface FixtureDeadLetter {
  agent: string;
  receivedMs: number;
  storedMs: number;
  reasonCode: string;
  reason: string;
  signature: 'valid' | 'unsigned';
  offset: number;
}

// Delivery latencies cycle through this list: sub-second to minutes, and one negative
// (sender clock ahead of ours), so every heatmap bucket and percentile is exercised.
const DELIVERY_MS = [80, 150, 300, 450, 700, 1200, 1800, 3000, 4500, 8000, 12_000, 25_000, 45_000, 90_000, -200];

/** Parses an RFC 3339 timestamp with offset, as the payload carries it. */
function payloadTime(iso: string): { ms: number; offset: number } {
  const m = /([+-])(\d\d):(\d\d)$/.exec(iso);
  const offset = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return { ms: Date.parse(iso), offset };
}

const pad = (n: number) => String(n).padStart(2, '0');
/** Local wall-clock time on fixture day `day` (0 = 2 March) in the given offset, as RFC 3339. */
function local(day: number, hh: number, mm: number, offset: string): string {
  return `2026-03-${pad(2 + day)}T${pad(hh)}:${pad(mm)}:00${offset}`;
}

// Remaining credits as functions of event time, so the trend is exact by construction.
const daysSince = (ms: number) => (ms - WEEK_START) / DAY;
/** sales: 10 000 falling 400 per day, every day. */
export const salesCredits = (ms: number) => 10_000 - 400 * daysSince(ms);
/** support: 3 000 falling 300 per day; topped up to 9 000 at day 3.5, then falling 500 per day. */
export const SUPPORT_TOP_UP_DAY = 3.5;
export const supportCredits = (ms: number) => (daysSince(ms) < SUPPORT_TOP_UP_DAY ? 3_000 - 300 * daysSince(ms) : 9_000 - 500 * (daysSince(ms) - SUPPORT_TOP_UP_DAY));

export function buildReplies(): FixtureReply[] {
  const specs: { agent: string; conversation: string; at: string; credits?: number; source?: string; parts?: number; deliveryMs?: number }[] = [];
  for (let day = 0; day < 7; day++) {
    // sales, UTC+7: three replies a day, the conversation rotating so conversations span days.
    [
      [9, 0],
      [13, 30],
      [20, 15],
    ].forEach(([hh, mm], k) => specs.push({ agent: 'sales', conversation: `sales-${(day + k) % 4}`, at: local(day, hh!, mm!, '+07:00') }));
    // support, UTC-5: two replies a day in one conversation per day.
    specs.push({ agent: 'support', conversation: `support-${day % 3}`, at: local(day, 8, 0, '-05:00') });
    specs.push({ agent: 'support', conversation: `support-${day % 3}`, at: local(day, 17, 45, '-05:00') });
  }
  // support late evening in New York on day 2 = day 3 in UTC: the bucket is the UTC one.
  specs.push({ agent: 'support', conversation: 'support-2', at: local(2, 21, 30, '-05:00') });
  // support at exactly the start of the week (19:00 on 1 March in New York): $__timeFilter includes it.
  specs.push({ agent: 'support', conversation: 'support-0', at: '2026-03-01T19:00:00-05:00' });
  // billing, UTC+5:30, unsigned: a flat balance, one reply with credits 2, one from another source.
  specs.push({ agent: 'billing', conversation: 'billing-a', at: local(1, 10, 0, '+05:30'), parts: 3 });
  specs.push({ agent: 'billing', conversation: 'billing-a', at: local(1, 10, 7, '+05:30'), credits: 2 });
  specs.push({ agent: 'billing', conversation: 'billing-b', at: local(4, 23, 50, '+05:30'), source: 'ai_agent' });
  specs.push({ agent: 'billing', conversation: 'billing-b', at: local(5, 0, 20, '+05:30') });
  // support, a burst on 7 March from 10:00 UTC: 100 replies k seconds apart with distinct
  // latencies, so neighbouring percentiles (p94 vs p95) give different answers.
  for (let k = 1; k <= 100; k++) {
    const at = new Date(WEEK_START + 5 * DAY + 10 * HOUR + ((k * (k + 1)) / 2) * 1000).toISOString().replace('.000Z', 'Z');
    specs.push({ agent: 'support', conversation: 'support-burst', at, deliveryMs: 100 + ((k * 7919) % 10_007) });
  }
  // Outside the week: before it, and after it (after the empty range too).
  specs.push({ agent: 'sales', conversation: 'sales-old', at: '2026-02-27T10:00:00+07:00' });
  specs.push({ agent: 'sales', conversation: 'sales-late', at: '2026-03-12T10:00:00+07:00' });

  return specs.map((s, i) => {
    const t = payloadTime(s.at);
    const receivedMs = t.ms + (s.deliveryMs ?? DELIVERY_MS[i % DELIVERY_MS.length]!);
    const remaining = s.agent === 'sales' ? salesCredits(t.ms) : s.agent === 'support' ? supportCredits(t.ms) : 500;
    return {
      agent: s.agent,
      conversation: s.conversation,
      messageId: `m-${String(i).padStart(3, '0')}`,
      eventMs: t.ms,
      offsetMinutes: t.offset,
      receivedMs,
      storedMs: receivedMs + 20 + ((i * 37) % 500),
      parts: s.parts ?? (i % 4 === 0 ? 2 : 1),
      credits: s.credits ?? 0,
      remaining,
      source: s.source ?? 'human_agent',
      signature: s.agent === 'billing' ? 'unsigned' : 'valid',
    };
  });
}

export function buildDeadLetters(): FixtureDeadLetter[] {
  const at = (day: number, hour: number) => WEEK_START + day * DAY + hour * HOUR;
  const rows: Omit<FixtureDeadLetter, 'storedMs' | 'offset'>[] = [
    { agent: 'sales', receivedMs: at(0, 3), reasonCode: 'malformed_json', reason: 'Body is not valid JSON: Unexpected end', signature: 'valid' },
    { agent: 'sales', receivedMs: at(3, 5), reasonCode: 'invalid_payload', reason: 'response: expected array', signature: 'valid' },
    { agent: 'support', receivedMs: at(3, 14), reasonCode: 'invalid_payload', reason: 'timestamp: not RFC 3339', signature: 'valid' },
    { agent: 'billing', receivedMs: at(5, 9), reasonCode: 'invalid_payload', reason: 'message_id: required', signature: 'unsigned' },
    { agent: 'billing', receivedMs: at(6, 23), reasonCode: 'malformed_json', reason: 'Body is not valid JSON: Unexpected token', signature: 'unsigned' },
    { agent: 'sales', receivedMs: at(-2, 1), reasonCode: 'invalid_payload', reason: 'before the week', signature: 'valid' },
  ];
  return rows.map((r, i) => ({ ...r, storedMs: r.receivedMs + 100 + i, offset: 1000 + i }));
}

/** Store rows. stored_at is given explicitly (the store lists the keys it was handed as columns) so pipeline latency is known. */
/**
 * A balance-only reply for the credits tests: message id m-<agentIndex><n> (the row builder reads
 * the queue offset from the digits), stored 50 ms after it was received.
 */
export function balanceReply(r: { agent: string; agentIndex: number; n: number; conversation: string; eventMs: number; receivedMs: number; remaining: number }): FixtureReply {
  return {
    agent: r.agent,
    conversation: r.conversation,
    messageId: `m-${r.agentIndex}${String(r.n).padStart(4, '0')}`,
    eventMs: r.eventMs,
    offsetMinutes: 0,
    receivedMs: r.receivedMs,
    storedMs: r.receivedMs + 50,
    parts: 1,
    credits: 0,
    remaining: r.remaining,
    source: 'human_agent',
    signature: 'valid',
  };
}

export function toReplyRow(r: FixtureReply): ReplyRow & { stored_at: string } {
  return {
    agent: r.agent,
    message_id: r.messageId,
    conversation_id: r.conversation,
    response: Array.from({ length: r.parts }, (_, i) => `part ${i + 1}`),
    credits: r.credits,
    remaining_credits: r.remaining,
    additional_context: '',
    source: r.source,
    event_time: toClickHouseTime(r.eventMs),
    event_utc_offset_minutes: r.offsetMinutes,
    received_at: toClickHouseTime(r.receivedMs),
    stored_at: toClickHouseTime(r.storedMs),
    signature_status: r.signature,
    raw_body: '{}',
    queue_name: 'fixture',
    queue_partition: 0,
    queue_offset: Number(r.messageId.slice(2)),
  };
}

export function toDeadLetterRow(d: FixtureDeadLetter): DeadLetterRow & { stored_at: string } {
  return {
    agent: d.agent,
    received_at: toClickHouseTime(d.receivedMs),
    stored_at: toClickHouseTime(d.storedMs),
    reason_code: d.reasonCode,
    reason: d.reason,
    signature_status: d.signature,
    raw_body_base64: Buffer.from('{"broken":').toString('base64'),
    queue_name: 'fixture',
    queue_partition: 0,
    queue_offset: d.offset,
  };
}
