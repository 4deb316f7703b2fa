// At most QUERY_MAX_CONCURRENT API queries and exports at once: each holds engine threads and
// memory, and more of them than the machine has cores would slow the receiver's webhooks.
import { AppError } from '../core/errors.js';

/** How long a refused client is asked to wait before it tries again. */
const RETRY_AFTER_SECONDS = 1;

export class QuerySlots {
  private taken = 0;
  /** Callers of acquire() waiting for a slot, first come first served. */
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  /** Takes a slot, or throws too_many_queries (429); the returned function gives it back once. */
  take(): () => void {
    if (this.taken >= this.max) throw new AppError('too_many_queries', [this.max, RETRY_AFTER_SECONDS]);
    return this.hold();
  }

  /**
   * Takes a slot, waiting up to `waitMs` for one (a dashboard asks for its panels at once and
   * they take turns); then too_many_queries. Stops waiting when `signal` aborts.
   */
  acquire(waitMs: number, signal?: AbortSignal): Promise<() => void> {
    if (this.taken < this.max && this.waiting.length === 0) {
      this.taken += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      // Called by a release with its slot still counted: the slot passes on without a gap.
      const turn = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', leave);
        resolve(this.releaser());
      };
      const leave = () => {
        const at = this.waiting.indexOf(turn);
        if (at !== -1) this.waiting.splice(at, 1);
        clearTimeout(timer);
        reject(new AppError('too_many_queries', [this.max, RETRY_AFTER_SECONDS]));
      };
      const timer = setTimeout(leave, waitMs);
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(turn);
    });
  }

  private hold(): () => void {
    this.taken += 1;
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.taken -= 1;
    };
  }

  get running(): number {
    return this.taken;
  }
}
