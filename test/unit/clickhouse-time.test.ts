// toClickHouseTime keeps the text of the last second it formatted; whatever the order of calls,
// it must give what formatting each time from scratch gives.
import { describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../store/store.js';

const fromScratch = (epochMs: number): string => new Date(epochMs).toISOString().replace('T', ' ').slice(0, 23);

describe('toClickHouseTime', () => {
  it('matches Date formatting for times in any order, within and across seconds', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const times: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const base = Date.UTC(1970 + Math.floor(random() * 330), 0, 1);
      // Runs of nearby times (a kept second is reused), then a jump (it is replaced); two series
      // interleaved, as a row's event and receipt times are.
      const other = base + Math.floor(random() * 10_000);
      for (let j = 0; j < 5; j++) times.push(base + Math.floor(random() * 3_000), other + Math.floor(random() * 366 * 86_400_000));
    }
    times.push(0, 999, 1000, 1001, -1, -999, -1000, -1001, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1));
    for (const t of times) expect(toClickHouseTime(t)).toBe(fromScratch(t));
  });

  it('drops a fraction of a millisecond towards zero, as Date does', () => {
    for (const t of [1.5, 999.9, 1000.4, -0.5, -1.5, -999.5, 1_764_400_000_123.999]) expect(toClickHouseTime(t)).toBe(fromScratch(t));
  });

  it('refuses a time Date cannot hold', () => {
    expect(() => toClickHouseTime(8.64e15 + 1000)).toThrow(RangeError);
    expect(() => toClickHouseTime(Number.NaN)).toThrow(RangeError);
  });
});
