// The pipeline's own alerting: every ALERT_INTERVAL_SECONDS it evaluates the rules against its
// store, records what changed in DATA_DIR/run/alerts.json and notifies ALERT_WEBHOOK_URL when an
// instance starts and when it stops firing. A notification the receiver did not take stays owed
// and is retried at the next evaluation, so it arrives once, late rather than never.
import type { Logger } from 'pino';
import type { AlertConfig } from '../core/alert-config.js';
import type { Metrics } from '../core/metrics.js';
import type { Store } from '../store/store.js';
import { readAlertState, reconcile, writeAlertState, type AlertRecord, type AlertState } from './alert-state.js';
import { evaluateRules } from './evaluate.js';
import { genericNotification, headline, slackNotification } from './notification.js';
import { queueStallProbe, withQueueStall } from './queue-stall-probe.js';
import { alertRules, NOW, type AlertRule } from './rules.js';
import { sendJson } from './send.js';

export interface AlertEvaluatorOptions {
  store: Store;
  config: AlertConfig;
  dataDir: string;
  logger: Logger;
  /** The process's metrics: with them the queue backlog is watched for a stall as well. */
  metrics?: Metrics;
}

export interface AlertEvaluator {
  stop(): Promise<void>;
}

export async function startAlertEvaluator(o: AlertEvaluatorOptions): Promise<AlertEvaluator> {
  const rules = alertRules(o.config);
  const byId = new Map(rules.map((r) => [r.id, r]));
  const probe = o.metrics ? queueStallProbe(o.metrics, o.config.stallMinutes) : undefined;
  const abort = new AbortController();
  let state = await readAlertState(o.dataDir);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const evaluate = async () => {
    const evaluation = withQueueStall(await evaluateRules(o.store, rules, { now: NOW, intervalSeconds: o.config.intervalSeconds }), await probe?.(Date.now()));
    for (const [rule, message] of evaluation.failed) if (state.failed[rule] !== message) o.logger.error({ rule, err: message }, 'an alert rule could not be evaluated');
    state = reconcile(state, evaluation, new Date().toISOString());
    await writeAlertState(o.dataDir, state);
    if (await deliver(state, byId, o, abort.signal)) {
      state = { ...state, alerts: state.alerts.filter((a) => a.state === 'firing' || !a.notified) };
      await writeAlertState(o.dataDir, state);
    }
  };

  const loop = () => {
    running = evaluate()
      .catch((err: unknown) => o.logger.error({ err }, 'alert evaluation failed'))
      .finally(() => {
        if (!abort.signal.aborted) timer = setTimeout(loop, o.config.intervalSeconds * 1000);
      });
  };
  loop();
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

/** Sends what is owed; true if anything changed. */
async function deliver(state: AlertState, rules: Map<string, AlertRule>, o: AlertEvaluatorOptions, signal: AbortSignal): Promise<boolean> {
  let changed = false;
  for (const alert of state.alerts) {
    if (alert.notified || signal.aborted) continue;
    const rule = rules.get(alert.rule);
    if (!rule) continue;
    const note = genericNotification(alert, rule);
    const log = { rule: alert.rule, state: alert.state, labels: alert.labels, value: alert.value };
    if (!o.config.webhookUrl) {
      o.logger.warn(log, headline(note));
      markNotified(alert);
      changed = true;
      continue;
    }
    const payload = o.config.format === 'slack' ? slackNotification(note) : note;
    const result = await sendJson(payload, { url: o.config.webhookUrl, secret: o.config.secret, signal });
    if (result.ok) {
      o.logger.warn(log, `${headline(note)} (notified)`);
    } else if (result.retriable) {
      o.logger.error({ ...log, reason: result.reason }, 'the alert webhook did not take the notification; retrying at the next evaluation');
      continue;
    } else {
      o.logger.error({ ...log, reason: result.reason }, 'the alert webhook refused the notification; not retried');
    }
    markNotified(alert);
    changed = true;
  }
  return changed;
}

function markNotified(alert: AlertRecord): void {
  alert.notified = true;
}
