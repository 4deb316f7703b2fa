// Replies and dead letters with known alert answers at a fixed NOW (not the wall clock):
//   runs-out  falls 100 a day and is at 300 at NOW: 3 days left
//   topped-up fell 600 a day to 200, was topped up to 5 000 two days ago, then falls 50 a day
//   flat      500 all along, its last reply 3 hours before NOW; one dead letter 30 s before NOW
//   late      two replies received 10 minutes before NOW and stored 1 minute before NOW, on a
//             queue partition of their own whose consumer was stopped for those 9 minutes
import { balanceReply, toDeadLetterRow, toReplyRow, type FixtureReply } from '../dashboards/fixture.js';

export const NOW_MS = Date.UTC(2026, 5, 10, 12, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const AGENTS = ['runs-out', 'topped-up', 'flat', 'late'];

/** The SQL expression of NOW, for RuleContext.now. */
export const NOW_SQL = `fromUnixTimestamp64Milli(${NOW_MS})`;

function balanceAt(agent: string, ms: number): number {
  const daysAgo = (NOW_MS - ms) / DAY;
  if (agent === 'runs-out') return 300 + 100 * daysAgo;
  if (agent === 'topped-up') return daysAgo > 2 ? 200 + 600 * (daysAgo - 2) : 5_000 - 50 * (2 - daysAgo);
  return 500;
}

export function buildReplies(): FixtureReply[] {
  const out: FixtureReply[] = [];
  AGENTS.slice(0, 3).forEach((agent, a) => {
    const last = agent === 'flat' ? NOW_MS - 3 * HOUR : NOW_MS;
    let n = 0;
    for (let ms = NOW_MS - 5 * DAY; ms <= last; ms += 30 * MINUTE) {
      out.push(balanceReply({ agent, agentIndex: a + 1, n: n++, conversation: `${agent}-${n % 5}`, eventMs: ms, receivedMs: ms + 200, remaining: balanceAt(agent, ms) }));
    }
  });
  for (const n of [0, 1]) {
    const r = balanceReply({ agent: 'late', agentIndex: 4, n, conversation: 'late-0', eventMs: NOW_MS - 10 * MINUTE - n, receivedMs: NOW_MS - 10 * MINUTE, remaining: 9_000 });
    out.push({ ...r, storedMs: NOW_MS - MINUTE });
  }
  return out;
}

export const replyRows = () => buildReplies().map((r) => ({ ...toReplyRow(r), queue_partition: r.agent === 'late' ? 1 : 0 }));

/**
 * A partition whose consumer stopped, then caught up by `nowMs`: replies received over 8
 * minutes all stored 30 s before `nowMs`, the newest of them received 10 s before that.
 */
export function caughtUpRows(nowMs: number) {
  const storedMs = nowMs - 30_000;
  const receivedAt = [8, 6, 4, 2].map((m) => nowMs - m * MINUTE).concat(storedMs - 10_000);
  return receivedAt.map((receivedMs, n) => ({
    ...toReplyRow({ ...balanceReply({ agent: 'caught-up', agentIndex: 5, n, conversation: 'caught-up-0', eventMs: receivedMs - 100, receivedMs, remaining: 7_000 }), storedMs }),
    queue_partition: 2,
  }));
}

export const deadLetterRows = () =>
  [
    { agent: 'flat', receivedMs: NOW_MS - 31_000, storedMs: NOW_MS - 30_000, offset: 1 },
    { agent: 'runs-out', receivedMs: NOW_MS - HOUR, storedMs: NOW_MS - HOUR + 100, offset: 2 },
  ].map((d) => toDeadLetterRow({ ...d, reasonCode: 'invalid_payload', reason: 'message_id: required', signature: 'valid' }));
