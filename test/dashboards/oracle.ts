// Plain-JavaScript definitions of what the panels compute (the test's independent oracle):
// range and agent selection, time buckets, nearest-rank percentiles, least squares.
import { DAY, type FixtureDeadLetter, type FixtureReply } from './fixture.js';

export interface Scenario {
  name: string;
  fromMs: number;
  toMs: number;
  intervalMs: number;
  agents: readonly string[] | 'All';
}

export type Row = unknown[];
/** Expected result: column names in order, then rows. */
export interface Expected {
  columns: string[];
  rows: Row[];
}

export const agentSelected = (agent: string, s: Scenario) => s.agents === 'All' || s.agents.length === 0 || s.agents.includes(agent);
export const inRange = (ms: number, s: Scenario) => ms >= s.fromMs && ms <= s.toMs;

export const replies = (all: readonly FixtureReply[], s: Scenario, time: (r: FixtureReply) => number = (r) => r.eventMs) => all.filter((r) => agentSelected(r.agent, s) && inRange(time(r), s));
export const deadLetters = (all: readonly FixtureDeadLetter[], s: Scenario, time: (d: FixtureDeadLetter) => number = (d) => d.receivedMs) =>
  all.filter((d) => agentSelected(d.agent, s) && inRange(time(d), s));

/** ClickHouse DateTime / DateTime64(3) text, as the JSON formats print them. */
export const dt = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('T', ' ').slice(0, 19);
export const dt64 = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

/** The plugin's interval in whole seconds (at least 1), as $__timeInterval and $__interval_s use it. */
export const intervalSeconds = (s: Scenario) => Math.max(Math.floor(s.intervalMs / 1000), 1);

/** Start of the interval holding `ms`: intervals count from the epoch in whole seconds. */
export function bucket(ms: number, s: Scenario): number {
  const step = intervalSeconds(s);
  return Math.floor(Math.floor(ms / 1000) / step) * step * 1000;
}

/** Every bucket from the range start up to (not including) the range end, plus `extra`. */
export function filledBuckets(s: Scenario, extra: Iterable<number>): number[] {
  const step = intervalSeconds(s) * 1000;
  const end = Math.floor(s.toMs / 1000) * 1000;
  const all = new Set<number>(extra);
  for (let b = bucket(s.fromMs, s); b < end; b += step) all.add(b);
  return [...all].sort((a, b) => a - b);
}

export function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Linear interpolation between closest ranks (numpy's default, Hyndman-Fan R7); null for none. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const uniqueCount = <T>(items: readonly T[], key: (t: T) => string) => new Set(items.map(key)).size;
export const conversationKey = (r: FixtureReply) => `${r.agent}\u0000${r.conversation}`;

/** Replies in "latest" order: event time, then receipt, then message id. */
export const byLatest = (a: FixtureReply, b: FixtureReply) => a.eventMs - b.eventMs || a.receivedMs - b.receivedMs || a.messageId.localeCompare(b.messageId);

/** Ordinary least squares y = k·x + b. */
export function leastSquares(points: readonly [number, number][]): { k: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const k = sxy / sxx;
  return { k, b: my - k * mx };
}

/** Gaps (ms) between consecutive replies of each conversation, stamped with the later reply's time. */
export function gaps(rows: readonly FixtureReply[]): { atMs: number; gapMs: number }[] {
  const out: { atMs: number; gapMs: number }[] = [];
  for (const list of groupBy(rows, conversationKey).values()) {
    const times = list.map((r) => r.eventMs).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) out.push({ atMs: times[i]!, gapMs: times[i]! - times[i - 1]! });
  }
  return out;
}

const FIVE_MINUTES = 300_000;

/**
 * The run-out fit for one agent's replies in range, or null without any. One point per five
 * minutes (aligned to the epoch) with replies: the balance at their last reply. The fit starts
 * at the five minutes of the last top-up: the latest five minutes whose highest balance exceeds
 * their first reply's, or whose first exceeds the previous five minutes' last.
 */
export function runOut(rows: readonly FixtureReply[], s: Scenario) {
  if (rows.length === 0) return null;
  const sorted = [...rows].sort(byLatest);
  const fiveMinutes = [...groupBy(sorted, (r) => Math.floor(r.eventMs / FIVE_MINUTES)).values()].map((list) => ({
    first: list[0]!.remaining,
    last: list.at(-1)!,
    highest: Math.max(...list.map((r) => r.remaining)),
  }));
  let start = 0;
  fiveMinutes.forEach((m, i) => {
    if (m.highest > m.first || (i > 0 && m.first > fiveMinutes[i - 1]!.last.remaining)) start = i;
  });
  const fit = fiveMinutes.slice(start).map((m) => m.last);
  // A line needs two distinct times.
  const distinctTimes = new Set(fit.map((r) => r.eventMs)).size;
  const { k, b } = distinctTimes >= 2 ? leastSquares(fit.map((r) => [(r.eventMs - s.toMs) / DAY, r.remaining])) : { k: NaN, b: NaN };
  const daysLeft = Number.isFinite(k) && k < 0 && Math.abs(b / k) <= 3650 ? -b / k : null;
  const runOutMs = daysLeft === null ? null : Math.floor(s.toMs / 1000) * 1000 + Math.round(daysLeft * 86_400) * 1000;
  return { remaining: sorted.at(-1)!.remaining, fitPoints: fit.length, burnPerDay: Number.isFinite(k) ? -k : null, daysLeft, runOutMs };
}
