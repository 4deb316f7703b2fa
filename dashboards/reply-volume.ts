// Reply volume: how much human agents reply, where, and when.
import type { DashboardDef } from './panel-def.js';
import { conversationsPerAgent } from './rollup-sql.js';
import { FILL_BUCKETS, inRange, REPLIES } from './sql.js';

// A conversation id comes from Aksita and is unique within an agent; counting the pair keeps
// two agents' conversations apart even if ids ever collide.
const CONVERSATION = 'agent, conversation_id';

/**
 * Distinct conversations in the range: per agent from the five-minute rollup and the range's
 * ends (rollup-sql.ts), summed over agents. Distinct sets rather than the table's every reply,
 * so the cost grows with conversations per five minutes, not with replies.
 */
const CONVERSATIONS = `SELECT toUInt64(sum(conversations)) FROM (${conversationsPerAgent()})`;

export const replyVolume: DashboardDef = {
  id: 'reply-volume',
  uid: 'aksita-reply-volume',
  title: 'Aksita · Reply volume',
  description: 'How many replies human agents send, in how many conversations, by whom and when.',
  from: 'now-7d',
  panels: [
    {
      id: 'replies',
      kind: 'stat',
      title: 'Replies',
      description: 'Human-agent replies with an event time in the range. Each reply counts once: duplicates are removed before insert.',
      sql: `SELECT count() AS replies FROM ${REPLIES} WHERE ${inRange()}`,
      unit: 'short',
      w: 6,
      h: 4,
    },
    {
      id: 'conversations',
      kind: 'stat',
      title: 'Conversations',
      description: 'Conversations that received at least one human reply in the range.',
      sql: `SELECT (${CONVERSATIONS}) AS conversations`,
      unit: 'short',
      w: 6,
      h: 4,
    },
    {
      id: 'replies-per-conversation',
      kind: 'stat',
      title: 'Replies per conversation',
      description: 'Mean human replies per conversation in the range (Replies ÷ Conversations). Empty when there are none.',
      sql: `SELECT (SELECT count() FROM ${REPLIES} WHERE ${inRange()}) / nullIf((${CONVERSATIONS}), 0) AS replies_per_conversation`,
      unit: 'none',
      w: 6,
      h: 4,
      decimals: 2,
    },
    {
      id: 'multi-part',
      kind: 'stat',
      title: 'Multi-part replies',
      description: 'Share of replies whose `response` array has more than one part (the agent sent several messages in one reply).',
      sql: `SELECT countIf(response_parts > 1) / nullIf(count(), 0) AS multi_part_share FROM ${REPLIES} WHERE ${inRange()}`,
      unit: 'percentunit',
      w: 6,
      h: 4,
      decimals: 1,
    },
    {
      id: 'replies-over-time',
      kind: 'timeseries',
      title: 'Replies over time',
      description: 'Replies per interval, by event time (when the agent replied, in UTC). Intervals without replies show 0.',
      sql: `SELECT $__timeInterval(event_time) AS time, count() AS replies
FROM ${REPLIES}
WHERE ${inRange()}
GROUP BY time
${FILL_BUCKETS}`,
      unit: 'short',
      bars: true,
    },
    {
      id: 'active-conversations',
      kind: 'timeseries',
      title: 'Active conversations over time',
      description: 'Conversations with at least one human reply in each interval. A conversation active in two intervals counts in both.',
      sql: `SELECT time, toUInt64(sum(conversations)) AS conversations
FROM (${conversationsPerAgent({ perInterval: true })})
GROUP BY time
${FILL_BUCKETS}`,
      unit: 'short',
    },
    {
      id: 'replies-by-agent',
      kind: 'table',
      title: 'Replies by agent',
      description: 'Replies, conversations and share of all replies in the range, per agent.',
      // Replies counted on the table (cheap); conversations from the rollup as above.
      sql: `SELECT agent, replies, conversations, replies / sum(replies) OVER () AS share
FROM (SELECT agent, count() AS replies FROM ${REPLIES} WHERE ${inRange()} GROUP BY agent) AS r
JOIN (${conversationsPerAgent()}) AS c USING (agent)
ORDER BY replies DESC, agent`,
      unit: 'short',
      columns: { agent: 'Agent', replies: 'Replies', conversations: 'Conversations', share: { title: 'Share', unit: 'percentunit' } },
      w: 8,
    },
    {
      id: 'replies-per-conversation-distribution',
      kind: 'barchart',
      title: 'Replies per conversation (distribution)',
      description: 'How many conversations received 1, 2, 3 … human replies in the range. Long tails are grouped (6-10, 11-20, 21-50, 51+).',
      sql: `SELECT multiIf(n <= 5, toString(n), n <= 10, '6-10', n <= 20, '11-20', n <= 50, '21-50', '51+') AS replies, count() AS conversations
FROM (SELECT count() AS n FROM ${REPLIES} WHERE ${inRange()} GROUP BY ${CONVERSATION})
GROUP BY replies
ORDER BY min(n)`,
      unit: 'short',
      columns: { replies: 'Replies in conversation', conversations: 'Conversations' },
      w: 8,
    },
    {
      id: 'local-hour',
      kind: 'barchart',
      title: "Replies by sender's local hour",
      description: "Replies per hour of day in the sender's own time zone (the UTC offset of the payload's timestamp), so teams in different zones line up by working hours.",
      sql: `SELECT leftPad(toString(h), 2, '0') AS hour, replies
FROM (
  SELECT toHour(event_time + toIntervalMinute(event_utc_offset_minutes)) AS h, count() AS replies
  FROM ${REPLIES}
  WHERE ${inRange()}
  GROUP BY h
  ORDER BY h WITH FILL FROM 0 TO 24
)
ORDER BY hour`,
      unit: 'short',
      columns: { hour: 'Local hour', replies: 'Replies' },
      w: 8,
    },
    {
      id: 'busiest-conversations',
      kind: 'table',
      title: 'Busiest conversations',
      description: 'The 20 conversations with the most human replies in the range, with their first and last reply and the time between them.',
      sql: `SELECT agent, conversation_id, count() AS replies, min(event_time) AS first_reply, max(event_time) AS last_reply,
  dateDiff('millisecond', first_reply, last_reply) AS span
FROM ${REPLIES}
WHERE ${inRange()}
GROUP BY ${CONVERSATION}
ORDER BY replies DESC, last_reply DESC, conversation_id
LIMIT 20`,
      unit: 'short',
      columns: {
        agent: 'Agent',
        conversation_id: 'Conversation',
        replies: 'Replies',
        first_reply: 'First reply',
        last_reply: 'Last reply',
        span: { title: 'Span', unit: 'ms' },
      },
      w: 24,
      h: 10,
    },
  ],
};
