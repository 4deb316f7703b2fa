// Counts failed signature checks per client address in fixed one-minute windows, so a flood
// of forged requests gets 429 while correctly signed requests are never limited (they are
// checked before this limiter is consulted). The map is bounded: a flood from many
// addresses cannot grow memory without limit.

export class FailureLimiter {
  private windowStart = Date.now();
  private counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure; returns the seconds to wait when the address is over its limit. */
  fail(address: string): number | undefined {
    const t = this.now();
    if (t - this.windowStart >= 60_000) {
      this.windowStart = t;
      this.counts.clear();
    }
    if (!this.counts.has(address) && this.counts.size >= this.maxAddresses) this.counts.clear();
    const n = (this.counts.get(address) ?? 0) + 1;
    this.counts.set(address, n);
    if (n <= this.perMinute) return undefined;
    return Math.max(1, Math.ceil((this.windowStart + 60_000 - t) / 1000));
  }
}
