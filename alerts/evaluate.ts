// Runs every rule's SQL against the store and keeps the instances whose value crosses the
// rule's threshold. A rule whose query fails is reported as failed, never as resolved.
import type { Store } from '../store/store.js';
import { crosses, type AlertRule, type RuleContext } from './rules.js';

export interface Instance {
  rule: string;
  /** The label columns' values: which agent (or check) this is. */
  labels: Record<string, string>;
  value: number;
  /** Every column of the row but the labels, value included. */
  values: Record<string, unknown>;
}

export interface Evaluation {
  /** Instances that fire, by rule id; a rule that failed has none (but the queue's stall, see queue-stall-probe.ts). */
  firing: Map<string, Instance[]>;
  /** Rule id -> error message. */
  failed: Map<string, string>;
}

/** The identity of an instance across evaluations and restarts. */
export const instanceKey = (rule: string, labels: Record<string, string>): string =>
  `${rule}${Object.keys(labels)
    .sort()
    .map((k) => `|${k}=${labels[k]}`)
    .join('')}`;

/** The rows of one rule, firing or not. */
export async function ruleRows(store: Store, rule: AlertRule, ctx: RuleContext): Promise<Instance[]> {
  let out: Buffer;
  try {
    out = await store.query(rule.sql(ctx), { format: 'JSONEachRow' });
  } catch (err) {
    // chDB keeps a failed query's header for the next query: clear it with one of our own.
    await store.query('SELECT 1', { format: 'TSV' }).catch(() => undefined);
    throw err;
  }
  return out
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      const labels = Object.fromEntries(rule.labels.map((l) => [l, String(row[l])]));
      const values = Object.fromEntries(Object.entries(row).filter(([k]) => !rule.labels.includes(k)));
      return { rule: rule.id, labels, value: Number(row.value), values };
    });
}

export async function evaluateRules(store: Store, rules: readonly AlertRule[], ctx: RuleContext): Promise<Evaluation> {
  const firing = new Map<string, Instance[]>();
  const failed = new Map<string, string>();
  // One at a time: the store's queries share the engine with the consumer's inserts.
  for (const rule of rules) {
    try {
      const rows = await ruleRows(store, rule, ctx);
      firing.set(
        rule.id,
        rows.filter((r) => Number.isFinite(r.value) && crosses(rule.threshold, r.value)),
      );
    } catch (err) {
      failed.set(rule.id, (err as Error).message);
    }
  }
  return { firing, failed };
}
