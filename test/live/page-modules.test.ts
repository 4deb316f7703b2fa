// The page's own modules (plain browser ES modules, run here in Node): units as Grafana shows
// them, wall times in a chosen zone and back, and the URL state that cannot carry bad values.
import { describe, expect, it } from 'vitest';

// Variable specifiers: the modules are plain JavaScript, without type declarations.
const formatPath = '../../live/page/format.js';
const statePath = '../../live/page/state.js';
const format = (await import(formatPath)) as {
  formatValue(v: unknown, unit: string, decimals?: number): string;
  formatTime(ms: number, tz: string, withSeconds?: boolean): string;
  parseLocal(value: string, tz: string): number | undefined;
  toLocalInput(ms: number, tz: string): string;
  thresholdColor(v: unknown, t: { base: string; steps: [number, string][] }): string | undefined;
};
type State = { dashboard: string; range: string; from?: number; to?: number; agents: string[]; tz: string; refresh: number };
const state = (await import(statePath)) as {
  readState(location: { pathname: string; search: string }): State;
  stateQuery(s: State): string;
  resolveRange(s: State, now?: number): { fromMs: number; toMs: number; intervalMs: number };
};

describe('units', () => {
  it.each([
    [1234, 'short', undefined, '1.23 K'],
    [65, 'short', undefined, '65'],
    [2_500_000, 'short', undefined, '2.5 Mil'],
    [850, 'ms', undefined, '850 ms'],
    [2790, 'ms', undefined, '2.79 s'],
    [70_200_000, 'ms', undefined, '19.5 hour'],
    [0.338, 'percentunit', 1, '33.8%'],
    [6.5, 'none', 2, '6.50'],
    [1230, 'locale', undefined, '1,230'],
    [0.13, 'd', 1, '0.1 days'],
    [null, 'short', undefined, '–'],
  ])('%s in %s -> %s', (v, unit, decimals, text) => {
    expect(format.formatValue(v, unit, decimals)).toBe(text);
  });

  it('threshold colors: the base below the first step, then each step from its value up', () => {
    const t = {
      base: 'red',
      steps: [
        [100, 'orange'],
        [1000, 'green'],
      ] as [number, string][],
    };
    expect([99, 100, 999, 1000].map((v) => format.thresholdColor(v, t))).toEqual(['#e02f44', '#ff9830', '#ff9830', '#56a64b']);
  });
});

describe('time zones', () => {
  it.each(['UTC', 'Asia/Jakarta', 'America/New_York', 'Asia/Kolkata'])('a wall time in %s reads back as the same instant', (tz) => {
    for (const ms of [Date.UTC(2026, 2, 8, 6, 59), Date.UTC(2026, 10, 1, 5, 30), Date.UTC(2026, 0, 22, 8, 18)]) {
      expect(format.parseLocal(format.toLocalInput(ms, tz), tz)).toBe(ms);
    }
  });

  it('shows times in the chosen zone', () => {
    expect(format.formatTime(Date.UTC(2026, 0, 22, 8, 18, 5), 'Asia/Jakarta', true)).toBe('2026-01-22 15:18:05');
    expect(format.formatTime(Date.UTC(2026, 0, 22, 8, 18), 'UTC')).toBe('2026-01-22 08:18');
  });
});

describe('URL state', () => {
  const read = (search: string, pathname = '/live/latency') => state.readState({ pathname, search });

  it('opens on the last 24 hours in UTC, all agents, no refresh', () => {
    expect(read('')).toEqual({ dashboard: 'latency', range: '24h', agents: [], tz: 'UTC', refresh: 0 });
    expect(state.stateQuery(read(''))).toBe('range=24h&tz=UTC');
  });

  it('round-trips a shared view', () => {
    const s = read('?range=custom&from=1000&to=90000000&agent=sales,support&tz=Asia%2FJakarta&refresh=30');
    expect(s).toEqual({ dashboard: 'latency', range: 'custom', from: 1000, to: 90_000_000, agents: ['sales', 'support'], tz: 'Asia/Jakarta', refresh: 30 });
    expect(read(`?${state.stateQuery(s)}`)).toEqual(s);
  });

  it('drops what it cannot use rather than passing it on', () => {
    expect(read("?range=forever&agent=sales,x')--&tz=Mars/Olympus&refresh=-5")).toEqual({ dashboard: 'latency', range: '24h', agents: ['sales'], tz: 'UTC', refresh: 0 });
    expect(read('?range=custom&from=5&to=1').range).toBe('24h');
  });

  it('a preset ends now; the interval keeps a range within 200 buckets', () => {
    const now = Date.UTC(2026, 0, 2, 12, 0, 0, 456);
    expect(state.resolveRange(read(''), now)).toEqual({ fromMs: now - 456 - 86_400_000, toMs: now - 456, intervalMs: 600_000 });
    for (const range of ['1h', '24h', '7d', '30d']) {
      const r = state.resolveRange(read(`?range=${range}`), now);
      expect((r.toMs - r.fromMs) / r.intervalMs).toBeLessThanOrEqual(200);
    }
  });
});
