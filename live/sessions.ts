// One-time login codes and the sessions they open, in memory only (a restart signs everyone
// out, and `reply-analytics open` gives a new link). Only SHA-256 digests of codes and session
// ids are kept, so a heap dump does not hold a usable secret.
import { createHash, randomBytes } from 'node:crypto';

/** A login link is for following now, not for keeping. */
export const CODE_TTL_MS = 2 * 60_000;
/** A browser session lasts a working day; then `reply-analytics open` again. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** Bounds on what is kept; the oldest entries go first. */
const MAX_CODES = 32;
const MAX_SESSIONS = 256;

const digest = (secret: string) => createHash('sha256').update(secret).digest('base64url');
/** 256 random bits, URL-safe. */
const secret = () => randomBytes(32).toString('base64url');

export type Redeemed = { ok: true; session: string } | { ok: false; why: 'unknown' | 'expired' | 'used' };

export class Sessions {
  /** Code digest -> expiry (epoch ms) and whether it was used. */
  private readonly codes = new Map<string, { expiresAt: number; used: boolean }>();
  /** Session digest -> expiry. */
  private readonly sessions = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time code, valid for CODE_TTL_MS. */
  mintCode(): string {
    const code = secret();
    this.prune();
    this.codes.set(digest(code), { expiresAt: this.now() + CODE_TTL_MS, used: false });
    evictOldest(this.codes, MAX_CODES);
    return code;
  }

  /** Trades an unused, unexpired code for a new session id; any code works once at most. */
  redeem(code: string): Redeemed {
    const entry = this.codes.get(digest(code));
    if (!entry) return { ok: false, why: 'unknown' };
    if (entry.used) return { ok: false, why: 'used' };
    entry.used = true;
    if (entry.expiresAt <= this.now()) return { ok: false, why: 'expired' };
    const session = secret();
    this.sessions.set(digest(session), this.now() + SESSION_TTL_MS);
    evictOldest(this.sessions, MAX_SESSIONS);
    return { ok: true, session };
  }

  isValid(session: string | undefined): boolean {
    if (!session) return false;
    const expiresAt = this.sessions.get(digest(session));
    return expiresAt !== undefined && expiresAt > this.now();
  }

  /** Forgets expired codes (a used one is kept until it expires, so reuse says "used"). */
  private prune(): void {
    const now = this.now();
    for (const [k, v] of this.codes) if (v.expiresAt <= now) this.codes.delete(k);
    for (const [k, v] of this.sessions) if (v <= now) this.sessions.delete(k);
  }
}

/** Maps iterate in insertion order: the first keys are the oldest. */
function evictOldest(map: Map<string, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
