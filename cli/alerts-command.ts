// `reply-analytics alerts [--json]`: the alert rules and what fires. With a pipeline running on
// DATA_DIR it shows that process's last evaluation (DATA_DIR/run/alerts.json); with none, it
// evaluates the rules itself, now, without notifying anyone.
import { parseArgs } from 'node:util';
import { readAlertState, type AlertState } from '../alerts/alert-state.js';
import { evaluateRules } from '../alerts/evaluate.js';
import { alertRules, NOW, type AlertRule } from '../alerts/rules.js';
import type { Config } from '../core/config.js';
import { findRunningServer } from '../core/run-files.js';
import type { Command } from './command.js';
import { openQueryStore } from './query-store.js';

interface Listing {
  source: string;
  evaluatedAt: string | null;
  rules: {
    id: string;
    title: string;
    threshold: string;
    state: 'ok' | 'firing' | 'failed' | 'unknown';
    error?: string;
    firing: { labels: Record<string, string>; value: number; since: string | null; notified: boolean | null }[];
  }[];
}

const thresholdText = (r: AlertRule) => `${r.unit} ${r.threshold.op === 'below' ? '<' : '>'} ${r.threshold.limit}`;

function listing(rules: AlertRule[], state: AlertState, source: string, live: boolean): Listing {
  return {
    source,
    evaluatedAt: state.evaluatedAt,
    rules: rules.map((r) => {
      const firing = state.alerts.filter((a) => a.rule === r.id && a.state === 'firing');
      const error = state.failed[r.id];
      return {
        id: r.id,
        title: r.title,
        threshold: thresholdText(r),
        // Before the first evaluation nothing is known, which is not the same as ok.
        state: error ? 'failed' : firing.length > 0 ? 'firing' : state.evaluatedAt ? 'ok' : 'unknown',
        ...(error ? { error } : {}),
        firing: firing.map((a) => ({ labels: a.labels, value: a.value, since: live ? a.startsAt : null, notified: live ? a.notified : null })),
      };
    }),
  };
}

async function evaluateHere(config: Config, rules: AlertRule[]): Promise<AlertState> {
  const store = await openQueryStore(config);
  try {
    const evaluation = await evaluateRules(store, rules, { now: NOW, intervalSeconds: config.alerts.intervalSeconds || 60 });
    const alerts = [...evaluation.firing.values()].flat().map((i) => ({ ...i, key: '', state: 'firing' as const, startsAt: '', notified: false }));
    return { evaluatedAt: new Date().toISOString(), failed: Object.fromEntries(evaluation.failed), alerts };
  } finally {
    await store.close();
  }
}

function render(l: Listing): string {
  const lines = [`${l.source}${l.evaluatedAt ? `, evaluated at ${l.evaluatedAt}` : ', not evaluated yet'}`, ''];
  for (const r of l.rules) {
    lines.push(`${r.state.toUpperCase().padEnd(7)} ${r.id.padEnd(20)} ${r.title} (fires when ${r.threshold})`);
    if (r.error) lines.push(`        error: ${r.error}`);
    for (const f of r.firing) {
      const who = Object.entries(f.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      const since = f.since ? ` since ${f.since}${f.notified ? '' : ' (notification owed)'}` : '';
      lines.push(`        ${who}: ${Number(f.value.toFixed(2))}${since}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const alertsCommand: Command = {
  usage: 'alerts [--json]            List the alert rules and what fires (from the running process, or evaluated now).',
  async run(args, config) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: false });
    const rules = alertRules(config.alerts);
    const server = await findRunningServer(config.dataDir);
    const l = server
      ? listing(rules, await readAlertState(config.dataDir), `from the running process (pid ${server.pid})`, true)
      : listing(rules, await evaluateHere(config, rules), 'no process runs on this DATA_DIR: evaluated now, nobody notified', false);
    process.stdout.write(values.json ? `${JSON.stringify(l, null, 2)}\n` : render(l));
    return 0;
  },
};
