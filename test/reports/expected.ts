// Report figures worked out in plain TypeScript from the fixture, independently of the SQL
// and of reports/zoned-time.ts: zone offsets are written out by hand below.
import type { SummaryRow } from '../../reports/html-report.js';
import type { FixtureReply } from './fixture.js';

/** Minutes east of UTC, by hand: the US switched to summer time at 2026-03-08 07:00 UTC. */
export function offsetMinutes(tz: string, epochMs: number): number {
  switch (tz) {
    case 'UTC':
      return 0;
    case 'Asia/Jakarta':
      return 420;
    case 'Asia/Kolkata':
    case 'Asia/Calcutta': // the same zone by ICU's name, which the report sends to the engine
      return 330;
    case 'America/New_York':
      return epochMs < Date.UTC(2026, 2, 8, 7) ? -300 : -240;
    default:
      throw new Error(`no hand-written offsets for ${tz}`);
  }
}

export const localIso = (tz: string, ms: number) => new Date(ms + offsetMinutes(tz, ms) * 60_000).toISOString();
export const localDay = (tz: string, ms: number) => localIso(tz, ms).slice(0, 10);
/** "YYYY-MM-DD HH:MM:SS.mmm" in tz, as ClickHouse prints DateTime64(3, tz). */
export const localTime = (tz: string, ms: number) => localIso(tz, ms).replace('T', ' ').slice(0, 23);

// The row shape is the report's own; the values below are computed independently of its SQL.
export type ExpectedSummaryRow = SummaryRow;

export interface Range {
  fromMs: number;
  toMs: number;
  tz: string;
  agents?: string[];
}

/** Linear interpolation between closest ranks (numpy's default, Excel's PERCENTILE.INC). */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

const order = (a: FixtureReply, b: FixtureReply) => a.eventMs - b.eventMs || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

/** An agent's consecutive replies: event time, then receipt, then message id. */
const timeline = (a: FixtureReply, b: FixtureReply) => a.eventMs - b.eventMs || a.receivedMs - b.receivedMs || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

/**
 * Credits used per "day\u0000agent": every drop in remaining credits from one reply of the agent
 * in the range to its next, on the (tz) day of the later one. Rises are top-ups, not usage; the
 * first reply in the range has nothing before it (an earlier reply outside the range is not seen).
 */
export function creditsUsed(rows: readonly FixtureReply[], tz: string): Map<string, number> {
  const used = new Map<string, number>();
  for (const list of groupBy([...rows], (r) => r.agent).values()) {
    const sorted = [...list].sort(timeline);
    for (let i = 0; i < sorted.length; i++) {
      const drop = i === 0 ? 0 : Math.max(sorted[i - 1]!.remaining - sorted[i]!.remaining, 0);
      const key = `${localDay(tz, sorted[i]!.eventMs)}\u0000${sorted[i]!.agent}`;
      used.set(key, (used.get(key) ?? 0) + drop);
    }
  }
  return used;
}

/** Replies in the range, each once (the fixture's duplicates are the same reply). */
export function inRange(replies: readonly FixtureReply[], range: Range): FixtureReply[] {
  const unique = new Map(replies.map((r) => [`${r.agent}\u0000${r.messageId}`, r]));
  return [...unique.values()].filter((r) => r.eventMs >= range.fromMs && r.eventMs < range.toMs && (!range.agents?.length || range.agents.includes(r.agent)));
}

export function expectedSummary(replies: readonly FixtureReply[], range: Range): ExpectedSummaryRow[] {
  const rows = inRange(replies, range);
  // Gap: since the previous reply of the same conversation, within the range.
  const gaps = new Map<FixtureReply, number | null>();
  const byConversation = groupBy(rows, (r) => `${r.agent}\u0000${r.conversationId}`);
  for (const list of byConversation.values()) {
    list.sort(order).forEach((r, i) => gaps.set(r, i === 0 ? null : r.eventMs - list[i - 1]!.eventMs));
  }
  const used = creditsUsed(rows, range.tz);
  const groups = groupBy(rows, (r) => `${localDay(range.tz, r.eventMs)}\u0000${r.agent}`);
  const out: ExpectedSummaryRow[] = [];
  for (const [key, list] of groups) {
    const [day, agent] = key.split('\u0000') as [string, string];
    list.sort(order);
    const latencies = list.map((r) => r.receivedMs - r.eventMs);
    const dayGaps = list.map((r) => gaps.get(r)!).filter((g): g is number => g !== null);
    const conversations = new Set(list.map((r) => r.conversationId)).size;
    out.push({
      day,
      agent,
      replies: list.length,
      conversations,
      replies_per_conversation: list.length / conversations,
      delivery_latency_p50_ms: percentile(latencies, 0.5),
      delivery_latency_p95_ms: percentile(latencies, 0.95),
      reply_gap_p50_ms: dayGaps.length ? percentile(dayGaps, 0.5) : null,
      remaining_credits_start: list[0]!.remaining,
      remaining_credits_end: list.at(-1)!.remaining,
      remaining_credits_min: Math.min(...list.map((r) => r.remaining)),
      credits_used: used.get(key)!,
      credits_charged: list.reduce((s, r) => s + r.credits, 0),
    });
  }
  return out.sort((a, b) => (a.day === b.day ? (a.agent < b.agent ? -1 : 1) : a.day < b.day ? -1 : 1));
}

/**
 * Compares report rows with expectations: counts and balances exactly, credit sums to 1e-9 (the
 * engine and JavaScript add in different orders), percentiles within the report's rounding
 * (0.1 ms; 0.001 for replies per conversation).
 */
export function compareSummary(actual: Record<string, unknown>[], expected: ExpectedSummaryRow[]): string[] {
  const problems: string[] = [];
  if (actual.length !== expected.length) problems.push(`expected ${expected.length} rows, got ${actual.length}`);
  expected.forEach((e, i) => {
    const a = actual[i] ?? {};
    for (const [k, want] of Object.entries(e)) {
      const got = a[k] === null || a[k] === undefined || a[k] === '\\N' ? null : typeof want === 'string' ? String(a[k]) : Number(a[k]);
      const tol = k.endsWith('_ms') ? 0.051 : k === 'replies_per_conversation' ? 0.00051 : 1e-9;
      const same = want === null || typeof want === 'string' ? got === want : typeof got === 'number' && Math.abs(got - want) <= tol;
      if (!same) problems.push(`row ${i} (${e.day} ${e.agent}) ${k}: expected ${want}, got ${String(a[k])}`);
    }
  });
  return problems;
}
