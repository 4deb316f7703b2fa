// Counts failed signature checks per client address in fixed one-minute windows, so a flood
// of forged requests gets 429 while correctly signed requests are never limited (they are
// checked before this limiter is consulted). The maps are bounded: a flood from many
// addresses cannot grow memory without limit.
//
// An address over its budget is refused before its body is read (refuseEarly), so a flood of
// large forged bodies costs neither the reading nor the HMAC. Refusing unread also refuses a
// correctly signed request, so addresses that have sent one recently (Aksita's, which may share
// an address with an attacker behind NAT or a balancer) are exempt: their requests are still
// read and checked, and only the failures among them get 429.

const WINDOW_MS = 60_000;
/** How long a correctly signed request keeps its address exempt from early refusal. */
const PROVEN_MS = 24 * 3600_000;

export class FailureLimiter {
  private windowStart: number;
  private counts = new Map<string, number>();
  /** Address -> when it last sent a correctly signed request, oldest first. */
  private proven = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  private window(t: number): void {
    if (t - this.windowStart >= WINDOW_MS) {
      this.windowStart = t;
      this.counts.clear();
    }
  }

  private retryAfter(t: number): number {
    return Math.max(1, Math.ceil((this.windowStart + WINDOW_MS - t) / 1000));
  }

  /** Records a failure; returns the seconds to wait when the address is over its limit. */
  fail(address: string): number | undefined {
    const t = this.now();
    this.window(t);
    if (!this.counts.has(address) && this.counts.size >= this.maxAddresses) this.counts.clear();
    const n = (this.counts.get(address) ?? 0) + 1;
    this.counts.set(address, n);
    if (n <= this.perMinute) return undefined;
    return this.retryAfter(t);
  }

  /** Records a correctly signed request from `address`. */
  succeed(address: string): void {
    const t = this.now();
    const last = this.proven.get(address);
    // Refreshed at most once a window: this runs on every accepted webhook.
    if (last !== undefined && t - last < WINDOW_MS) return;
    this.proven.delete(address);
    this.proven.set(address, t);
    if (this.proven.size > this.maxAddresses) this.proven.delete(this.proven.keys().next().value!);
  }

  /** Before the body is read: the seconds to wait when the address has spent its budget and is not proven. */
  refuseEarly(address: string): number | undefined {
    const n = this.counts.get(address);
    if (n === undefined || n < this.perMinute) return undefined;
    const t = this.now();
    this.window(t);
    if (!this.counts.has(address)) return undefined;
    const last = this.proven.get(address);
    if (last !== undefined && t - last < PROVEN_MS) return undefined;
    return this.retryAfter(t);
  }
}
