// The two shapes of a notification: Slack's incoming-webhook JSON ({"text"} plus blocks), and a
// generic JSON document for any other receiver, which the sender signs (alerts/send.ts).
import type { AlertRecord } from './alert-state.js';
import type { AlertRule } from './rules.js';

export interface GenericNotification {
  rule: string;
  title: string;
  state: 'firing' | 'resolved';
  labels: Record<string, string>;
  value: number;
  unit: string;
  values: Record<string, unknown>;
  summary: string;
  startsAt: string;
  endsAt: string | null;
}

export function genericNotification(alert: AlertRecord, rule: Pick<AlertRule, 'title' | 'summary' | 'unit'>): GenericNotification {
  return {
    rule: alert.rule,
    title: rule.title,
    state: alert.state,
    labels: alert.labels,
    value: alert.value,
    unit: rule.unit,
    values: alert.values,
    summary: rule.summary,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt ?? null,
  };
}

const round = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v);

/** "agent=sales" or "" for an instance of the whole pipeline. */
const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** One line for people: the state, the rule, the instance and its value. */
export function headline(n: GenericNotification): string {
  const who = labelText(n.labels);
  const state = n.state === 'firing' ? 'FIRING' : 'RESOLVED';
  return `[${state}] ${n.title}${who ? ` (${who})` : ''}: ${round(n.value)} ${n.unit}`;
}

export function slackNotification(n: GenericNotification): { text: string; blocks: unknown[] } {
  const details = Object.entries(n.values)
    .filter(([k]) => k !== 'value')
    .map(([k, v]) => `${k}: ${String(round(v))}`)
    .join(' · ');
  const since = n.state === 'firing' ? `since ${n.startsAt}` : `from ${n.startsAt} to ${n.endsAt ?? ''}`;
  return {
    text: headline(n),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${headline(n)}*\n${n.summary}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: [details, since].filter(Boolean).join(' · ') }] },
    ],
  };
}
