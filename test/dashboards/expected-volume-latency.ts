// Expected results of the Reply volume and Latency panels, computed from the fixture in JavaScript.
import type { FixtureDeadLetter, FixtureReply } from './fixture.js';
import { bucket, conversationKey, dt, dt64, filledBuckets, gaps, groupBy, quantile, replies, uniqueCount, type Expected, type Scenario } from './oracle.js';

export interface Data {
  replies: readonly FixtureReply[];
  deadLetters: readonly FixtureDeadLetter[];
}
export type PanelOracle = (s: Scenario, data: Data) => Expected;

const HEATMAP_BOUNDS = [250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000];
const delivery = (r: FixtureReply) => r.receivedMs - r.eventMs;
const pipeline = (r: FixtureReply) => r.storedMs - r.receivedMs;

/** Count-style series: one row per bucket of the range, zeros included. */
function filledSeries(s: Scenario, rows: readonly FixtureReply[], value: (inBucket: FixtureReply[]) => number, name: string): Expected {
  const byBucket = groupBy(rows, (r) => bucket(r.eventMs, s));
  return {
    columns: ['time', name],
    rows: filledBuckets(s, byBucket.keys()).map((b) => [dt(b), value(byBucket.get(b) ?? [])]),
  };
}

function distributionLabel(n: number): string {
  if (n <= 5) return String(n);
  if (n <= 10) return '6-10';
  if (n <= 20) return '11-20';
  if (n <= 50) return '21-50';
  return '51+';
}

export const replyVolume: Record<string, PanelOracle> = {
  Replies: (s, d) => ({ columns: ['replies'], rows: [[replies(d.replies, s).length]] }),
  Conversations: (s, d) => ({ columns: ['conversations'], rows: [[uniqueCount(replies(d.replies, s), conversationKey)]] }),
  'Replies per conversation': (s, d) => {
    const rs = replies(d.replies, s);
    return { columns: ['replies_per_conversation'], rows: [[rs.length ? rs.length / uniqueCount(rs, conversationKey) : null]] };
  },
  'Multi-part replies': (s, d) => {
    const rs = replies(d.replies, s);
    return { columns: ['multi_part_share'], rows: [[rs.length ? rs.filter((r) => r.parts > 1).length / rs.length : null]] };
  },
  'Replies over time': (s, d) => filledSeries(s, replies(d.replies, s), (b) => b.length, 'replies'),
  'Active conversations over time': (s, d) => filledSeries(s, replies(d.replies, s), (b) => uniqueCount(b, conversationKey), 'conversations'),
  'Replies by agent': (s, d) => {
    const rs = replies(d.replies, s);
    const rows = [...groupBy(rs, (r) => r.agent)].map(([agent, list]) => [agent, list.length, uniqueCount(list, (r) => r.conversation), list.length / rs.length]);
    rows.sort((a, b) => (b[1] as number) - (a[1] as number) || String(a[0]).localeCompare(String(b[0])));
    return { columns: ['agent', 'replies', 'conversations', 'share'], rows };
  },
  'Replies per conversation (distribution)': (s, d) => {
    const perConversation = [...groupBy(replies(d.replies, s), conversationKey).values()].map((l) => l.length);
    const byLabel = groupBy(perConversation, distributionLabel);
    const rows = [...byLabel].map(([label, ns]) => ({ label, min: Math.min(...ns), count: ns.length }));
    rows.sort((a, b) => a.min - b.min);
    return { columns: ['replies', 'conversations'], rows: rows.map((r) => [r.label, r.count]) };
  },
  "Replies by sender's local hour": (s, d) => {
    const localHour = (r: FixtureReply) => new Date(r.eventMs + r.offsetMinutes * 60_000).getUTCHours();
    const counts = new Array(24).fill(0) as number[];
    for (const r of replies(d.replies, s)) counts[localHour(r)]! += 1;
    return { columns: ['hour', 'replies'], rows: counts.map((n, h) => [String(h).padStart(2, '0'), n]) };
  },
  'Busiest conversations': (s, d) => {
    const rows = [...groupBy(replies(d.replies, s), conversationKey).values()].map((list) => {
      const times = list.map((r) => r.eventMs);
      const first = Math.min(...times);
      const last = Math.max(...times);
      return { agent: list[0]!.agent, conversation: list[0]!.conversation, n: list.length, first, last };
    });
    rows.sort((a, b) => b.n - a.n || b.last - a.last || a.conversation.localeCompare(b.conversation));
    return {
      columns: ['agent', 'conversation_id', 'replies', 'first_reply', 'last_reply', 'span'],
      rows: rows.slice(0, 20).map((r) => [r.agent, r.conversation, r.n, dt64(r.first), dt64(r.last), r.last - r.first]),
    };
  },
};

/** Percentile series: one row per bucket that has values (no filling). */
function percentileSeries<T>(items: readonly T[], at: (t: T) => number, value: (t: T) => number, s: Scenario, qs: Record<string, number>): Expected {
  const byBucket = [...groupBy(items, (t) => bucket(at(t), s))].sort(([a], [b]) => a - b);
  return {
    columns: ['time', ...Object.keys(qs)],
    rows: byBucket.map(([b, list]) => [dt(b), ...Object.values(qs).map((q) => quantile(list.map(value), q))]),
  };
}

export const latency: Record<string, PanelOracle> = {
  'Delivery latency p95': (s, d) => ({ columns: ['p95'], rows: [[quantile(replies(d.replies, s).map(delivery), 0.95)]] }),
  'Pipeline latency p99': (s, d) => ({ columns: ['p99'], rows: [[quantile(replies(d.replies, s, (r) => r.receivedMs).map(pipeline), 0.99)]] }),
  'Median gap between replies': (s, d) => ({
    columns: ['p50'],
    rows: [
      [
        quantile(
          gaps(replies(d.replies, s)).map((g) => g.gapMs),
          0.5,
        ),
      ],
    ],
  }),
  'Delivery latency percentiles': (s, d) => percentileSeries(replies(d.replies, s), (r) => r.eventMs, delivery, s, { p50: 0.5, p95: 0.95, p99: 0.99 }),
  'Delivery latency distribution': (s, d) => {
    const byBucket = [...groupBy(replies(d.replies, s), (r) => bucket(r.eventMs, s))].sort(([a], [b]) => a - b);
    const slot = (ms: number) => {
      const i = HEATMAP_BOUNDS.findIndex((le) => ms <= le);
      return i === -1 ? HEATMAP_BOUNDS.length : i;
    };
    return {
      columns: ['time', ...HEATMAP_BOUNDS.map(String), '+Inf'],
      rows: byBucket.map(([b, list]) => {
        const counts = new Array(HEATMAP_BOUNDS.length + 1).fill(0) as number[];
        for (const r of list) counts[slot(delivery(r))]! += 1;
        return [dt(b), ...counts];
      }),
    };
  },
  'Pipeline latency percentiles': (s, d) =>
    percentileSeries(
      replies(d.replies, s, (r) => r.receivedMs),
      (r) => r.receivedMs,
      pipeline,
      s,
      { p50: 0.5, p99: 0.99 },
    ),
  'Gap between consecutive replies': (s, d) =>
    percentileSeries(
      gaps(replies(d.replies, s)),
      (g) => g.atMs,
      (g) => g.gapMs,
      s,
      { p50: 0.5, p90: 0.9 },
    ),
  'Slowest deliveries': (s, d) => {
    const rows = [...replies(d.replies, s)].sort((a, b) => delivery(b) - delivery(a) || a.agent.localeCompare(b.agent) || a.messageId.localeCompare(b.messageId));
    return {
      columns: ['agent', 'conversation_id', 'message_id', 'event_time', 'received_at', 'delivery'],
      rows: rows.slice(0, 20).map((r) => [r.agent, r.conversation, r.messageId, dt64(r.eventMs), dt64(r.receivedMs), delivery(r)]),
    };
  },
};
