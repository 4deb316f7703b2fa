// Transitions of the alert state and its file: what is owed to the receiver after each evaluation.
import { stat } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { alertStateFile, emptyState, readAlertState, reconcile, writeAlertState, type AlertState } from '../../alerts/alert-state.js';
import type { Evaluation, Instance } from '../../alerts/evaluate.js';
import { tempDir } from '../helpers/temp-dir.js';

const low = (agent: string, value: number): Instance => ({ rule: 'floor', labels: { agent }, value, values: { value } });
const ev = (firing: Instance[], failed: string[] = []): Evaluation => ({
  firing: new Map(failed.includes('floor') ? [] : [['floor', firing]]),
  failed: new Map(failed.map((r) => [r, 'boom'])),
});
const owed = (s: AlertState) => s.alerts.filter((a) => !a.notified).map((a) => `${a.state}:${a.labels.agent}`);
const deliverAll = (s: AlertState): AlertState => ({ ...s, alerts: s.alerts.map((a) => ({ ...a, notified: true })).filter((a) => a.state === 'firing') });

describe('reconcile', () => {
  it('a new instance is owed as firing, once; a gone one is owed as resolved with its start kept', () => {
    let s = reconcile(emptyState(), ev([low('a', 5)]), 't1');
    expect(owed(s)).toEqual(['firing:a']);
    s = deliverAll(s);
    s = reconcile(s, ev([low('a', 4)]), 't2');
    expect(owed(s)).toEqual([]);
    expect(s.alerts[0]).toMatchObject({ value: 4, startsAt: 't1' });
    s = reconcile(s, ev([]), 't3');
    expect(owed(s)).toEqual(['resolved:a']);
    expect(s.alerts[0]).toMatchObject({ startsAt: 't1', endsAt: 't3' });
  });

  it('a rule that failed keeps its instances: an error is not a resolution', () => {
    const s = reconcile(deliverAll(reconcile(emptyState(), ev([low('a', 5)]), 't1')), ev([], ['floor']), 't2');
    expect(s.alerts.map((a) => a.state)).toEqual(['firing']);
    expect(s.failed).toEqual({ floor: 'boom' });
  });

  it('a firing never delivered and already over is dropped, not announced as resolved', () => {
    const s = reconcile(reconcile(emptyState(), ev([low('a', 5)]), 't1'), ev([]), 't2');
    expect(s.alerts).toEqual([]);
  });

  it('firing again before the resolution was delivered continues the same alert, owing nothing', () => {
    let s = deliverAll(reconcile(emptyState(), ev([low('a', 5)]), 't1'));
    s = reconcile(s, ev([]), 't2');
    s = reconcile(s, ev([low('a', 6)]), 't3');
    expect(owed(s)).toEqual([]);
    expect(s.alerts[0]).toMatchObject({ state: 'firing', startsAt: 't1', endsAt: undefined });
  });
});

describe('the state file', () => {
  const dirs: { remove(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const d of dirs) await d.remove();
  });

  it('round-trips, readable by its owner only; a missing file is the empty state', async () => {
    const dir = await tempDir('aksita-alert-state-');
    dirs.push(dir);
    expect(await readAlertState(dir.path)).toEqual(emptyState());
    const s = reconcile(emptyState(), ev([low('a', 5)]), 't1');
    await writeAlertState(dir.path, s);
    expect(await readAlertState(dir.path)).toEqual(JSON.parse(JSON.stringify(s)));
    expect((await stat(alertStateFile(dir.path))).mode & 0o777).toBe(0o600);
  });
});
