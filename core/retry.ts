// Retry with capped exponential backoff until the operation succeeds or the caller stops.
// The consumer never gives up on a batch (that would lose it); it waits for the store.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Stops the retries: the wait in between ends at once and the last error is thrown. */
  signal: AbortSignal;
  initialDelayMs?: number;
  maxDelayMs?: number;
  onError?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function retryUntilDone<T>(op: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal, initialDelayMs = 100, maxDelayMs = 5_000 } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (signal.aborted) throw err;
      const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
      options.onError?.(err, attempt, delay);
      // Stopping interrupts the wait; the batch stays unacknowledged on the queue.
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw err;
    }
  }
}
