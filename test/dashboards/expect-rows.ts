// Compares a panel's rows with the oracle's: equal, except floats, which may differ by a relative
// 1e-9 (the engine and JavaScript add in different orders).
import { expect } from 'vitest';

export function expectRows(actual: unknown[][], expected: unknown[][], label = ''): void {
  const at = label ? `${label} ` : '';
  expect(actual.length, label || JSON.stringify(actual)).toBe(expected.length);
  actual.forEach((row, i) =>
    row.forEach((value, j) => {
      const want = expected[i]![j];
      if (typeof want === 'number' && typeof value === 'number') {
        expect(Math.abs(value - want), `${at}row ${i} col ${j}: ${value} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
      } else expect(value, `${at}row ${i} col ${j}`).toEqual(want);
    }),
  );
}
