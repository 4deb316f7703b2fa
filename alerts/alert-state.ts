// What the evaluator remembers between evaluations and restarts: every instance that fires or
// whose notification is still owed. Kept in DATA_DIR/run/alerts.json, written atomically and
// readable by its owner only, so a restart neither repeats a notification nor loses one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { instanceKey, type Evaluation, type Instance } from './evaluate.js';

export interface AlertRecord extends Instance {
  key: string;
  state: 'firing' | 'resolved';
  /** ISO times: when the instance started firing, and when it stopped. */
  startsAt: string;
  endsAt?: string;
  /** True once the receiver took the notification of the current state. */
  notified: boolean;
}

export interface AlertState {
  /** When the rules were last evaluated (ISO), or null before the first time. */
  evaluatedAt: string | null;
  /** Rule id -> error message of the last evaluation. */
  failed: Record<string, string>;
  alerts: AlertRecord[];
}

export const alertStateFile = (dataDir: string) => path.join(dataDir, 'run', 'alerts.json');

export const emptyState = (): AlertState => ({ evaluatedAt: null, failed: {}, alerts: [] });

export async function readAlertState(dataDir: string): Promise<AlertState> {
  const raw = await readFile(alertStateFile(dataDir), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  return raw ? (JSON.parse(raw) as AlertState) : emptyState();
}

export async function writeAlertState(dataDir: string, state: AlertState): Promise<void> {
  const file = alertStateFile(dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(6).toString('hex')}.partial`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * The next state after an evaluation at `now`: new instances fire (not yet notified), gone ones
 * resolve, those of a rule that failed stay as they were. A resolved instance whose firing was
 * never delivered is dropped rather than announced; one that fires again before its resolution
 * was delivered simply continues.
 */
export function reconcile(previous: AlertState, evaluation: Evaluation, now: string): AlertState {
  const before = new Map(previous.alerts.map((a) => [a.key, a]));
  const next: AlertRecord[] = [];
  const seen = new Set<string>();
  for (const list of evaluation.firing.values()) {
    for (const instance of list) {
      const key = instanceKey(instance.rule, instance.labels);
      seen.add(key);
      const prior = before.get(key);
      if (prior && (prior.state === 'firing' || !prior.notified)) {
        next.push({ ...prior, ...instance, key, state: 'firing', endsAt: undefined, notified: prior.state === 'firing' ? prior.notified : true });
      } else {
        next.push({ ...instance, key, state: 'firing', startsAt: now, notified: false });
      }
    }
  }
  for (const prior of previous.alerts) {
    if (seen.has(prior.key)) continue;
    if (evaluation.failed.has(prior.rule) || !evaluation.firing.has(prior.rule)) {
      // Not evaluated this time (failed, or the rule was turned off): keep what is owed.
      if (evaluation.failed.has(prior.rule)) next.push(prior);
      continue;
    }
    if (prior.state === 'firing' && prior.notified) next.push({ ...prior, state: 'resolved', endsAt: now, notified: false });
    else if (prior.state === 'resolved' && !prior.notified) next.push(prior);
  }
  return { evaluatedAt: now, failed: Object.fromEntries(evaluation.failed), alerts: next };
}
