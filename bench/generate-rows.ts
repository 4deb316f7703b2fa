// Generates replies straight into the store (INSERT … SELECT … FROM numbers(N), inside the
// engine), shaped like a busy week: 5 agents in different UTC offsets, about ten replies per
// conversation, exponential delivery latency, falling credits with top-ups, one reply in ten
// in two parts, one dead letter per thousand replies, a few spec deviations.
import { DEAD_LETTERS_TABLE, REPLIES_TABLE } from '../store/migrations.js';
import type { Store } from '../store/store.js';

export const DAY = 86_400_000;
/** Monday 2026-03-02 00:00 UTC: the generated week stays inside one monthly partition. */
export const START_MS = Date.UTC(2026, 2, 2);
export const SPAN_DAYS = 7;
export const AGENTS = ['billing', 'onboarding', 'retention', 'sales', 'support'];

const agentsArray = `[${AGENTS.map((a) => `'${a}'`).join(', ')}]`;

function repliesSql(n: number, offset: number): string {
  const spanMs = SPAN_DAYS * DAY;
  return `INSERT INTO ${REPLIES_TABLE} (agent, message_id, conversation_id, response, credits, remaining_credits,
  additional_context, source, event_time, event_utc_offset_minutes, received_at, stored_at, signature_status, raw_body,
  queue_name, queue_partition, queue_offset)
SELECT agent, message_id, conversation_id, response, credits, remaining, '', source, event_time, utc_offset,
  received_at, received_at + toIntervalMillisecond(20 + cityHash64(number, 2) % 600), if(agent = 'billing', 'unsigned', 'valid'),
  format('{{"response":{},"message_id":"{}","conversation_id":"{}","credits":{},"remaining_credits":{},"additional_context":"","source":"{}","timestamp":"{}"}}',
    toJSONString(response), message_id, conversation_id, toString(credits), toString(remaining), source, toString(event_time)),
  'bench', 0, number
FROM (
  SELECT number,
    ${agentsArray}[1 + number % ${AGENTS.length}] AS agent,
    concat('m', toString(number)) AS message_id,
    concat(agent, '-', toString(intDiv(number, ${AGENTS.length * 10}))) AS conversation_id,
    if(cityHash64(number, 3) % 10 = 0, ['Let me check that for you.', 'Your order ships tomorrow.'], ['Thanks for waiting, your order ships tomorrow.']) AS response,
    toFloat64(cityHash64(number, 4) % 100000 = 0) AS credits,
    if(cityHash64(number, 5) % 50000 = 0, 'bot', 'human_agent') AS source,
    toDateTime64(${START_MS / 1000}, 3, 'UTC') + toIntervalMillisecond(intDiv((number - ${offset}) * ${spanMs}, ${n}) + cityHash64(number) % 1000) AS event_time,
    [420, -300, 330, 0, 60][1 + number % 5] AS utc_offset,
    event_time + toIntervalMillisecond(toInt64(-log(1 - (cityHash64(number, 1) % 1000000) / 1000000.0) * 800)) AS received_at,
    round(50000 - 4000 * ((toUnixTimestamp64Milli(event_time) - ${START_MS}) / ${DAY} % 10), 2) AS remaining
  FROM numbers(${offset}, ${n})
)`;
}

function deadLettersSql(replies: number, existing: number): string {
  const rows = Math.max(1, Math.floor(replies / 1000));
  const first = Math.floor(existing / 1000);
  return `INSERT INTO ${DEAD_LETTERS_TABLE} (agent, received_at, stored_at, reason_code, reason, signature_status, raw_body, queue_name, queue_partition, queue_offset)
SELECT ${agentsArray}[1 + number % ${AGENTS.length}],
  toDateTime64(${START_MS / 1000}, 3, 'UTC') + toIntervalMillisecond(intDiv((number - ${first}) * ${SPAN_DAYS * DAY}, ${rows})) AS received_at,
  received_at + toIntervalMillisecond(100), ['malformed_json', 'invalid_payload'][1 + number % 2], 'bench', 'valid', '{"broken":', 'bench-dl', 0, number
FROM numbers(${first}, ${rows})`;
}

/** Adds `n` replies (and their dead letters) after the `existing` ones already generated. */
export async function generateRows(store: Store, n: number, existing = 0): Promise<void> {
  await store.query(repliesSql(n, existing), { format: 'TSV' });
  await store.query(deadLettersSql(n, existing), { format: 'TSV' });
}
