// The failed-signature limiter on its own, with a clock the test moves.
import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../ingest/failure-limiter.js';

function limiter(perMinute: number, maxAddresses = 100) {
  let t = 1_000_000;
  const l = new FailureLimiter(perMinute, maxAddresses, () => t);
  return { l, advance: (ms: number) => (t += ms) };
}

describe('failure limiter', () => {
  it('an address is refused early once its budget is spent, until the window ends', () => {
    const { l, advance } = limiter(2);
    expect(l.refuseEarly('a')).toBeUndefined();
    expect(l.fail('a')).toBeUndefined();
    expect(l.refuseEarly('a')).toBeUndefined();
    expect(l.fail('a')).toBeUndefined();
    expect(l.refuseEarly('a')).toBeGreaterThan(0);
    expect(l.refuseEarly('b')).toBeUndefined();
    advance(60_000);
    expect(l.refuseEarly('a')).toBeUndefined();
  });

  it('an address that signed correctly is not refused early, only its failures are limited', () => {
    const { l } = limiter(1);
    l.succeed('a');
    expect(l.fail('a')).toBeUndefined();
    expect(l.fail('a')).toBeGreaterThan(0);
    expect(l.refuseEarly('a')).toBeUndefined();
  });

  it('a correct signature a day old no longer exempts the address', () => {
    const { l, advance } = limiter(1);
    l.succeed('a');
    advance(24 * 3600_000);
    l.fail('a');
    expect(l.refuseEarly('a')).toBeGreaterThan(0);
  });

  it('the proven addresses are bounded: the oldest is forgotten first', () => {
    const { l } = limiter(1, 2);
    for (const a of ['a', 'b', 'c']) l.succeed(a);
    l.fail('a');
    l.fail('c');
    expect(l.refuseEarly('a')).toBeGreaterThan(0);
    expect(l.refuseEarly('c')).toBeUndefined();
  });
});
