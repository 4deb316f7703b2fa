// parseEventTime computes the instant from the fields; Date.parse is the independent oracle.
import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../../core/payload.js';

/** A small deterministic generator (mulberry32), so a failure names a reproducible timestamp. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('parseEventTime', () => {
  it('valid RFC 3339 timestamps of every shape give the instant Date.parse gives', () => {
    const r = random(7);
    for (let i = 0; i < 20_000; i++) {
      const year = i % 10 === 0 ? r(10_000) : 1900 + r(250);
      const month = 1 + r(12);
      const day = 1 + r(28);
      const fraction = r(3) === 0 ? '' : `.${Array.from({ length: 1 + r(9) }, () => r(10)).join('')}`;
      const offset = r(4) === 0 ? ['Z', 'z'][r(2)] : `${['+', '-'][r(2)]}${pad(r(24))}:${pad(r(60))}`;
      const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}${['T', 't', ' '][r(3)]}${pad(r(24))}:${pad(r(60))}:${pad(r(60))}${fraction}${offset}`;
      // V8 parses only the ECMAScript form (upper-case T and Z) by the standard; other forms go
      // to its legacy parser, which misreads years below 100. RFC 3339 allows both cases and a space.
      const standard = text.replace(/[t ]/, 'T').replace(/z$/, 'Z');
      expect(parseEventTime(text), text).toMatchObject({ epochMs: Date.parse(standard) });
    }
  });

  it('knows leap years and month lengths', () => {
    for (const text of ['2024-02-29T00:00:00Z', '2000-02-29T12:00:00+01:00', '0000-02-29T00:00:00Z', '2026-12-31T23:59:59-23:59', '2026-04-30T00:00:00Z']) {
      expect(parseEventTime(text), text).toMatchObject({ epochMs: Date.parse(text) });
    }
    for (const text of ['2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-00T00:00:00Z']) {
      expect(parseEventTime(text), text).toBe(`"${text}" is not a real calendar date and time`);
    }
  });

  it('an offset past 23:59 is refused, named as sent', () => {
    expect(parseEventTime('2026-01-22T15:18:18+24:00')).toBe('"+24:00" is not a valid UTC offset');
    expect(parseEventTime('2026-01-22T15:18:18.123-07:60')).toBe('"-07:60" is not a valid UTC offset');
  });

  it('text that is not RFC 3339 is refused', () => {
    for (const text of ['2026-01-22T15:18:18', '2026-01-22T15:18:18.+07:00', '2026-01-22T15:18+07:00', '2026-1-22T15:18:18Z', '2026-01-22T15:18:18+0700', ' 2026-01-22T15:18:18Z']) {
      expect(parseEventTime(text), text).toMatch(/^expected an RFC 3339 date-time/);
    }
  });

  it('keeps the offset and truncates sub-millisecond digits', () => {
    expect(parseEventTime('2026-01-22T15:18:18.9999-05:30')).toEqual({ epochMs: Date.UTC(2026, 0, 22, 20, 48, 18, 999), offsetMinutes: -330 });
    expect(parseEventTime('2026-01-22T15:18:18.5+07:00')).toEqual({ epochMs: Date.UTC(2026, 0, 22, 8, 18, 18, 500), offsetMinutes: 420 });
  });
});
