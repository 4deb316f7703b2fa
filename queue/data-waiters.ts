// Readers waiting for records to arrive: both the log's own reader and a follower on another
// thread wait the same way, until woken, a timeout, or an abort.
export class DataWaiters {
  private readonly waiting = new Set<() => void>();

  /** Resolves at once if `ready`, else when woken, after `timeoutMs`, or when `signal` aborts. */
  wait(ready: boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (ready || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiting.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  wakeAll(): void {
    for (const wake of this.waiting) wake();
  }
}
