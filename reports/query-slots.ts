// At most QUERY_MAX_CONCURRENT API queries and exports at once: each holds engine threads and
// memory, and more of them than the machine has cores would slow the receiver's webhooks.
import { AppError } from '../core/errors.js';

/** How long a refused client is asked to wait before it tries again. */
const RETRY_AFTER_SECONDS = 1;

export class QuerySlots {
  private taken = 0;

  constructor(readonly max: number) {}

  /** Takes a slot, or throws too_many_queries (429); the returned function gives it back once. */
  take(): () => void {
    if (this.taken >= this.max) throw new AppError('too_many_queries', [this.max, RETRY_AFTER_SECONDS]);
    this.taken += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.taken -= 1;
    };
  }

  get running(): number {
    return this.taken;
  }
}
