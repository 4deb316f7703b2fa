// core/retry.ts and core/with-timeout.ts: retries end on success or when stopped, never on their own;
// a time limit rejects a promise that does not settle, and leaves one that does alone.
import { describe, expect, it } from 'vitest';
import { retryUntilDone } from '../../core/retry.js';
import { withTimeout } from '../../core/with-timeout.js';

describe('retryUntilDone', () => {
  it('retries a failing operation until it succeeds, reporting each failure', async () => {
    const attempts: number[] = [];
    let calls = 0;
    const result = await retryUntilDone(
      async () => {
        if (++calls < 3) throw new Error(`failure ${calls}`);
        return 'done';
      },
      { signal: new AbortController().signal, initialDelayMs: 1, onError: (_err, attempt) => attempts.push(attempt) },
    );
    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2]);
  });

  it('stopping ends the wait between attempts at once, with the last error', async () => {
    const stop = new AbortController();
    let calls = 0;
    // An hour between attempts: only the abort can end this within the test's time.
    const retrying = retryUntilDone(
      async () => {
        calls += 1;
        throw new Error('still down');
      },
      { signal: stop.signal, initialDelayMs: 3_600_000, maxDelayMs: 3_600_000, onError: () => stop.abort() },
    );
    await expect(retrying).rejects.toThrow('still down');
    expect(calls).toBe(1);
  });

  it('an operation failing after the stop is not retried', async () => {
    const stop = new AbortController();
    let calls = 0;
    const retrying = retryUntilDone(
      async () => {
        calls += 1;
        stop.abort();
        throw new Error('refused');
      },
      { signal: stop.signal, initialDelayMs: 1 },
    );
    await expect(retrying).rejects.toThrow('refused');
    expect(calls).toBe(1);
  });
});

describe('withTimeout', () => {
  it('rejects, naming what timed out, when the promise does not settle in time', async () => {
    await expect(withTimeout(new Promise(() => undefined), 5, 'the probe')).rejects.toThrow('the probe timed out after 5 ms');
  });

  it('passes a settled value or error through', async () => {
    await expect(withTimeout(Promise.resolve(7), 60_000, 'x')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('no')), 60_000, 'x')).rejects.toThrow('no');
  });
});
