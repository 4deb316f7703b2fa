// The embedded durable log: appends, reads, group commit, reopen, waiting and read limits.
// Recovery from damaged files, failures and crashes live in the embedded-log-*.test.ts files.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { encodeEnvelope } from '../../queue/envelope.js';
import { HEADER_BYTES } from '../../queue/segment-format.js';
import { tempDir } from '../helpers/temp-dir.js';
import { deferred, envelope, fileHandlePrototype, readAll, settledFlag } from './log-fixtures.js';

let dir: { path: string; remove: () => Promise<void> };
const open = (options: { segmentBytes?: number } = {}) => EmbeddedLog.open({ dir: dir.path, ...options });

beforeEach(async () => {
  dir = await tempDir('embedded-log-');
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await dir.remove();
});

describe('append and read', () => {
  it('appended envelopes read back byte-exact, in order, with consecutive offsets', async () => {
    const log = await open();
    const sent = Array.from({ length: 25 }, (_, i) => envelope(i, 1 + ((i * 37) % 300)));
    for (const [i, env] of sent.entries()) expect(await log.append(env)).toBe(i);
    const got = await readAll(log);
    expect(got.map((q) => q.offset)).toEqual(sent.map((_, i) => i));
    expect(got.every((q) => q.partition === 0)).toBe(true);
    for (const [i, q] of got.entries()) {
      expect(q.envelope).toEqual(sent[i]);
      expect(Buffer.compare(q.envelope.body, sent[i]!.body)).toBe(0);
      expect('reject' in q.envelope).toBe(sent[i]!.reject !== undefined);
    }
    expect(await log.read(10)).toEqual([]);
    await log.close();
  });

  it('an append awaited right after the previous one resolves (no append is left behind a finished flush)', async () => {
    const log = await open();
    // Each await resumes in the tick in which the previous flush ends: the window the old
    // `.finally()` reset left open, where an append queued behind a loop that had stopped.
    for (let i = 0; i < 20; i++) expect(await log.append(envelope(i))).toBe(i);
    expect(log.end).toBe(20);
    await log.close();
  });
});

describe('group commit', () => {
  it('1,000 concurrent appends get consecutive sequence numbers from far fewer than 1,000 fdatasyncs', async () => {
    const log = await open();
    const datasync = vi.spyOn(await fileHandlePrototype(), 'datasync');
    const sent = Array.from({ length: 1000 }, (_, i) => envelope(i));
    const seqs = await Promise.all(sent.map((env) => log.append(env)));
    expect(seqs).toEqual(sent.map((_, i) => i));
    expect(datasync.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(sent.length / datasync.mock.calls.length).toBeGreaterThanOrEqual(50);
    const got = await log.read(2000, Number.MAX_SAFE_INTEGER);
    expect(got.map((q) => q.envelope)).toEqual(sent);
    await log.close();
  });

  it('an append is not acknowledged until its fdatasync has completed', async () => {
    const log = await open();
    const gate = deferred();
    const proto = await fileHandlePrototype();
    const realDatasync = proto.datasync;
    vi.spyOn(proto, 'datasync').mockImplementation(async function (this: typeof proto) {
      await gate.promise;
      return realDatasync.call(this);
    });
    const acked = log.append(envelope(0));
    const state = settledFlag(acked);
    await vi.waitFor(() => expect(proto.datasync).toHaveBeenCalled());
    await new Promise((r) => setImmediate(r));
    expect(state.settled).toBe(false);
    expect(log.end).toBe(0);
    gate.resolve();
    expect(await acked).toBe(0);
    expect(log.end).toBe(1);
    await log.close();
  });
});

describe('reopen', () => {
  it('records appended before close are all there after reopen', async () => {
    const first = await open();
    const sent = Array.from({ length: 40 }, (_, i) => envelope(i));
    await Promise.all(sent.map((env) => first.append(env)));
    await first.close();

    const log = await open();
    expect(log.end).toBe(40);
    expect(log.backlog).toBe(40);
    expect((await readAll(log)).map((q) => q.envelope)).toEqual(sent);
    expect(await log.append(envelope(40))).toBe(40);
    await log.close();
  });

  it('after commit(n) and reopen, reading resumes at n', async () => {
    const first = await open();
    const sent = Array.from({ length: 30 }, (_, i) => envelope(i));
    await Promise.all(sent.map((env) => first.append(env)));
    await first.read(12);
    await first.commit(12);
    expect(first.committed).toBe(12);
    await first.close();

    const log = await open();
    expect(log.committed).toBe(12);
    expect(log.backlog).toBe(18);
    const got = await readAll(log);
    expect(got.map((q) => q.offset)).toEqual(sent.slice(12).map((_, i) => 12 + i));
    expect(got.map((q) => q.envelope)).toEqual(sent.slice(12));
    await log.close();
  });

  it('committing everything then reopening gives an empty log that continues the numbering', async () => {
    const first = await open();
    await Promise.all(Array.from({ length: 5 }, (_, i) => first.append(envelope(i))));
    await first.read(5);
    await first.commit(5);
    await first.close();

    const log = await open();
    expect([log.end, log.committed, log.backlog]).toEqual([5, 5, 0]);
    expect(await log.read(10)).toEqual([]);
    expect(await log.append(envelope(5))).toBe(5);
    expect((await log.read(10)).map((q) => q.envelope)).toEqual([envelope(5)]);
    await log.close();
  });

  it('committing past the end of the log is refused', async () => {
    const log = await open();
    await log.append(envelope(0));
    await expect(log.commit(2)).rejects.toThrow(/cannot commit 2, the log ends at 1/);
    expect(log.committed).toBe(0);
    await log.close();
  });
});

describe('waitForData', () => {
  beforeEach(() => {
    // Only the timers are fake: a wait can end by timeout only when the test says so.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  it('an append landing ends the wait without the timeout', async () => {
    const log = await open();
    const wait = log.waitForData(60_000);
    const state = settledFlag(wait);
    await log.append(envelope(0));
    await wait;
    expect(state.settled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await log.close();
  });

  it('with nothing appended the wait ends at its timeout, not before', async () => {
    const log = await open();
    const state = settledFlag(log.waitForData(1000));
    await vi.advanceTimersByTimeAsync(999);
    expect(state.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.settled).toBe(true);
    await log.close();
  });

  it('an abort signal ends the wait', async () => {
    const log = await open();
    const abort = new AbortController();
    const wait = log.waitForData(60_000, abort.signal);
    const state = settledFlag(wait);
    await Promise.resolve();
    expect(state.settled).toBe(false);
    abort.abort();
    await wait;
    expect(vi.getTimerCount()).toBe(0);
    await log.close();
  });

  it('unread records already there end the wait at once', async () => {
    const log = await open();
    await log.append(envelope(0));
    await log.waitForData(60_000);
    expect(vi.getTimerCount()).toBe(0);
    await log.close();
  });
});

describe('read limits', () => {
  const stored = (i: number, bodyBytes?: number) => HEADER_BYTES + encodeEnvelope(envelope(i, bodyBytes)).length;

  it('read returns no more than maxRecords', async () => {
    const log = await open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(envelope(i))));
    expect((await log.read(3)).map((q) => q.offset)).toEqual([0, 1, 2]);
    expect((await log.read(4)).map((q) => q.offset)).toEqual([3, 4, 5, 6]);
    await log.close();
  });

  it('read returns the longest run of records whose stored size fits in maxBytes', async () => {
    const log = await open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(envelope(i, 100))));
    const maxBytes = stored(0, 100) + stored(1, 100) + stored(2, 100) - 1;
    const got = await log.read(100, maxBytes);
    expect(got.map((q) => q.offset)).toEqual([0, 1]);
    const next = await log.read(100, stored(2, 100) + stored(3, 100) + stored(4, 100));
    expect(next.map((q) => q.offset)).toEqual([2, 3, 4]);
    await log.close();
  });

  it('a record larger than maxBytes is returned on its own rather than blocking the reader', async () => {
    const log = await open();
    await log.append(envelope(0, 50));
    await log.append(envelope(1, 10_000));
    await log.append(envelope(2, 50));
    expect((await log.read(100, 1000)).map((q) => q.offset)).toEqual([0]);
    const big = await log.read(100, 1000);
    expect(big.map((q) => q.envelope)).toEqual([envelope(1, 10_000)]);
    expect((await log.read(100, 1000)).map((q) => q.offset)).toEqual([2]);
    await log.close();
  });
});
