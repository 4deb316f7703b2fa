// Expected results of the Remaining credits and Pipeline health panels, computed from the fixture in JavaScript.
import type { PanelOracle } from './expected-volume-latency.js';
import { DAY } from './fixture.js';
import { agentSelected, bucket, byLatest, deadLetters, dt, dt64, filledBuckets, groupBy, intervalSeconds, replies, runOut, type Expected } from './oracle.js';

const sortedAgents = <T extends { agent: string }>(rows: readonly T[]) => [...groupBy(rows, (r) => r.agent)].sort(([a], [b]) => a.localeCompare(b));

export const remainingCredits: Record<string, PanelOracle> = {
  'Remaining credits': (s, d) => {
    const asOfEnd = d.replies.filter((r) => agentSelected(r.agent, s) && r.eventMs <= s.toMs);
    return {
      columns: ['agent', 'remaining_credits'],
      rows: sortedAgents(asOfEnd).map(([agent, list]) => [agent, [...list].sort(byLatest).at(-1)!.remaining]),
    };
  },
  'Days until credits run out': (s, d) => ({
    columns: ['agent', 'days_left'],
    rows: sortedAgents(replies(d.replies, s)).map(([agent, list]) => [agent, runOut(list, s)!.daysLeft]),
  }),
  'Remaining credits over time': (s, d) => {
    const groups = [...groupBy(replies(d.replies, s), (r) => `${bucket(r.eventMs, s)}|${r.agent}`).values()];
    const rows = groups.map((list) => ({ b: bucket(list[0]!.eventMs, s), agent: list[0]!.agent, v: [...list].sort(byLatest).at(-1)!.remaining }));
    rows.sort((a, b) => a.b - b.b || a.agent.localeCompare(b.agent));
    return { columns: ['time', 'agent', 'remaining_credits'], rows: rows.map((r) => [dt(r.b), r.agent, r.v]) };
  },
  'Credits used per day': (s, d) => {
    const used = new Map<string, { day: number; agent: string; sum: number }>();
    for (const [agent, list] of groupBy(replies(d.replies, s), (r) => r.agent)) {
      const sorted = [...list].sort(byLatest);
      sorted.forEach((r, i) => {
        const day = Math.floor(r.eventMs / DAY) * DAY;
        const drop = i === 0 ? 0 : Math.max(sorted[i - 1]!.remaining - r.remaining, 0);
        const entry = used.get(`${day}|${agent}`) ?? { day, agent, sum: 0 };
        entry.sum += drop;
        used.set(`${day}|${agent}`, entry);
      });
    }
    const rows = [...used.values()].sort((a, b) => a.day - b.day || a.agent.localeCompare(b.agent));
    return { columns: ['time', 'agent', 'credits_used'], rows: rows.map((r) => [dt(r.day), r.agent, r.sum]) };
  },
  'Projected run-out': (s, d) => ({
    columns: ['agent', 'remaining_credits', 'burn_per_day', 'run_out', 'days_left', 'fit_points'],
    rows: sortedAgents(replies(d.replies, s)).map(([agent, list]) => {
      const f = runOut(list, s)!;
      return [agent, f.remaining, f.burnPerDay, f.runOutMs === null ? null : dt(f.runOutMs), f.daysLeft, f.fitPoints];
    }),
  }),
  'Replies where credits was not 0': (s, d) => {
    const rows = replies(d.replies, s)
      .filter((r) => r.credits !== 0)
      .sort((a, b) => b.eventMs - a.eventMs || a.agent.localeCompare(b.agent) || a.messageId.localeCompare(b.messageId));
    return {
      columns: ['agent', 'conversation_id', 'message_id', 'event_time', 'credits', 'remaining_credits'],
      rows: rows.slice(0, 100).map((r) => [r.agent, r.conversation, r.messageId, dt64(r.eventMs), r.credits, r.remaining]),
    };
  },
};

/** Replies and dead letters received in range: everything ingest accepted. */
const accepted = (s: Parameters<PanelOracle>[0], d: Parameters<PanelOracle>[1]) => [
  ...replies(d.replies, s, (r) => r.receivedMs).map((r) => r.signature),
  ...deadLetters(d.deadLetters, s).map((x) => x.signature),
];

const deviates = { credits: (r: { credits: number }) => r.credits !== 0, source: (r: { source: string }) => r.source !== 'human_agent' };

export const pipelineHealth: Record<string, PanelOracle> = {
  'Accepted events': (s, d) => ({ columns: ['accepted'], rows: [[accepted(s, d).length]] }),
  'Dead letters': (s, d) => ({ columns: ['dead_letters'], rows: [[deadLetters(d.deadLetters, s).length]] }),
  'Unsigned share': (s, d) => {
    const all = accepted(s, d);
    return { columns: ['unsigned_share'], rows: [[all.length ? all.filter((x) => x === 'unsigned').length / all.length : null]] };
  },
  'Spec deviations': (s, d) => ({
    columns: ['deviations'],
    rows: [[replies(d.replies, s).filter((r) => deviates.credits(r) || deviates.source(r)).length]],
  }),
  'Accepted vs stored rate': (s, d): Expected => {
    const acceptedAt = [...replies(d.replies, s, (r) => r.receivedMs).map((r) => r.receivedMs), ...deadLetters(d.deadLetters, s).map((x) => x.receivedMs)];
    const storedAt = [...replies(d.replies, s, (r) => r.storedMs).map((r) => r.storedMs), ...deadLetters(d.deadLetters, s, (x) => x.storedMs).map((x) => x.storedMs)];
    const a = groupBy(acceptedAt, (ms) => bucket(ms, s));
    const st = groupBy(storedAt, (ms) => bucket(ms, s));
    const per = intervalSeconds(s);
    return {
      columns: ['time', 'accepted', 'stored'],
      rows: filledBuckets(s, [...a.keys(), ...st.keys()]).map((b) => [dt(b), (a.get(b)?.length ?? 0) / per, (st.get(b)?.length ?? 0) / per]),
    };
  },
  'Dead letters by reason': (s, d) => {
    const groups = [...groupBy(deadLetters(d.deadLetters, s), (x) => `${bucket(x.receivedMs, s)}|${x.reasonCode}`).values()];
    const rows = groups.map((l) => ({ b: bucket(l[0]!.receivedMs, s), reason: l[0]!.reasonCode, n: l.length }));
    rows.sort((a, b) => a.b - b.b || a.reason.localeCompare(b.reason));
    return { columns: ['time', 'reason_code', 'dead_letters'], rows: rows.map((r) => [dt(r.b), r.reason, r.n]) };
  },
  'Dead letter reasons': (s, d) => {
    const rows = [...groupBy(deadLetters(d.deadLetters, s), (x) => x.reasonCode)].map(([reason, list]) => {
      const latest = [...list].sort((a, b) => a.receivedMs - b.receivedMs || a.offset - b.offset).at(-1)!;
      return [reason, list.length, dt64(latest.receivedMs), latest.reason];
    });
    rows.sort((a, b) => (b[1] as number) - (a[1] as number) || String(a[0]).localeCompare(String(b[0])));
    return { columns: ['reason_code', 'dead_letters', 'last_received', 'latest_reason'], rows };
  },
  'Signature status of accepted events': (s, d) => {
    const all = accepted(s, d);
    const rows = [...groupBy(all, (x) => x)].sort(([a], [b]) => a.localeCompare(b)).map(([status, l]) => [status, l.length, l.length / all.length]);
    return { columns: ['signature_status', 'events', 'share'], rows };
  },
  'Spec deviations by kind': (s, d) => {
    const rs = replies(d.replies, s);
    return {
      columns: ['kind', 'replies'],
      rows: [
        ['credits is not 0', rs.filter(deviates.credits).length],
        ['source is not human_agent', rs.filter(deviates.source).length],
      ],
    };
  },
};
