// The embedded log when the disk fails, is slow, or is asked too much: it refuses with a
// clear error (never acknowledges what is not durable) and keeps what it already accepted.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../core/errors.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { MAX_RECORD_BYTES } from '../../queue/segment-format.js';
import { tempDir } from '../helpers/temp-dir.js';
import { deferred, envelope, fileHandlePrototype, readAll } from './log-fixtures.js';

let dir: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  dir = await tempDir('embedded-log-fail-');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await dir.remove();
});

const eio = () => Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });

async function expectNotDurable(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => expect.fail('append resolved, expected it to reject'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('not_durable');
  expect((err as AppError).statusCode).toBe(503);
  return err as AppError;
}

describe('a failed write', () => {
  it('rejects its appends with not_durable, marks the log unhealthy and refuses later appends until it is repaired', async () => {
    // A repair far off: this test is about the refusal (embedded-log-repair.test.ts, the repair).
    const log = await EmbeddedLog.open({ dir: dir.path, repairDelayMs: 600_000 });
    const before = [envelope(0), envelope(1), envelope(2)];
    for (const env of before) await log.append(env);
    expect(log.healthy).toBe(true);

    vi.spyOn(await fileHandlePrototype(), 'writev').mockRejectedValueOnce(eio());
    await Promise.all([expectNotDurable(log.append(envelope(3))), expectNotDurable(log.append(envelope(4)))]);
    expect(log.healthy).toBe(false);
    expect(log.end).toBe(3);

    // The write would succeed now, but the tail of the file is unknown until the repair: still refused.
    const later = await expectNotDurable(log.append(envelope(5)));
    expect(later.retriable).toBe(true);
    expect((await readAll(log)).map((q) => q.envelope)).toEqual(before);
    await log.close();

    const reopened = await EmbeddedLog.open({ dir: dir.path });
    expect(reopened.healthy).toBe(true);
    expect((await readAll(reopened)).map((q) => q.envelope)).toEqual(before);
    expect(await reopened.append(envelope(6))).toBe(3);
    await reopened.close();
  });

  it('a failed fdatasync rejects its appends with not_durable, marks the log unhealthy and is reported once', async () => {
    const failures: Error[] = [];
    const log = await EmbeddedLog.open({ dir: dir.path, repairDelayMs: 600_000, onFailure: (err) => failures.push(err) });
    await log.append(envelope(0));
    vi.spyOn(await fileHandlePrototype(), 'datasync').mockRejectedValueOnce(eio());
    await expectNotDurable(log.append(envelope(1)));
    await expectNotDurable(log.append(envelope(2)));
    expect(failures.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['EIO']);
    expect(log.healthy).toBe(false);
    expect(log.end).toBe(1);
    expect((await readAll(log)).map((q) => q.envelope)).toEqual([envelope(0)]);
    await log.close();
  });

  it('appends queued behind a failing write are rejected too, none left hanging', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path });
    const gate = deferred();
    const writev = vi.spyOn(await fileHandlePrototype(), 'writev').mockImplementationOnce(async () => {
      await gate.promise;
      throw eio();
    });
    const first = log.append(envelope(0));
    await vi.waitFor(() => expect(writev).toHaveBeenCalledTimes(1));
    const queued = Array.from({ length: 5 }, (_, i) => log.append(envelope(1 + i)));
    gate.resolve();
    await expectNotDurable(first);
    for (const p of queued) await expectNotDurable(p);
    await log.close();
  });
});

describe('limits', () => {
  it('an event too large for one record is refused up front and the log stays healthy', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path });
    const huge = { ...envelope(0), body: Buffer.alloc(MAX_RECORD_BYTES + 1) };
    const err = await expectNotDurable(log.append(huge));
    expect(err.retriable).toBe(false);
    expect(log.healthy).toBe(true);
    expect(await log.append(envelope(1))).toBe(0);
    await log.close();
    // Before the fix it was acknowledged, and recovery then cut it (and all after it) away.
    const reopened = await EmbeddedLog.open({ dir: dir.path });
    expect((await readAll(reopened)).map((q) => q.envelope)).toEqual([envelope(1)]);
    await reopened.close();
  });

  it.each([
    ['metadata over 64 KiB (a huge key)', { key: 'k'.repeat(70_000) }],
    ['a receivedAtMs that JSON cannot carry', { receivedAtMs: Number.NaN }],
  ])('an envelope with %s is refused, not stored altered, and the log stays healthy', async (_name, change) => {
    const log = await EmbeddedLog.open({ dir: dir.path });
    const err = await expectNotDurable(log.append({ ...envelope(0), ...change }));
    expect(err.retriable).toBe(false);
    expect(log.healthy).toBe(true);
    expect(await log.append(envelope(1))).toBe(0);
    await log.close();
  });

  it('appends beyond maxPendingBytes while the disk is slow are refused, retriable, and the rest complete', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, maxPendingBytes: 4096 });
    const gate = deferred();
    const proto = await fileHandlePrototype();
    const realDatasync = proto.datasync;
    const datasync = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: typeof proto) {
      await gate.promise;
      return realDatasync.call(this);
    });
    // One group is stuck in fdatasync; its bytes still count against the limit.
    const first = log.append(envelope(0, 500));
    await vi.waitFor(() => expect(datasync).toHaveBeenCalledTimes(1));
    const results = Promise.allSettled(Array.from({ length: 40 }, (_, i) => log.append(envelope(1 + i, 500))));
    gate.resolve();
    expect(await first).toBe(0);
    const settled = await results;
    const accepted = settled.filter((r) => r.status === 'fulfilled');
    const refused = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // About 600 bytes a record: the one in flight plus five or six queued fit in 4096.
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    expect(accepted.length).toBeLessThanOrEqual(6);
    expect(refused.length).toBe(40 - accepted.length);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(AppError);
      expect((r.reason as AppError).code).toBe('not_durable');
      expect((r.reason as AppError).retriable).toBe(true);
    }
    expect(log.healthy).toBe(true);
    expect(await log.append(envelope(99, 500))).toBe(1 + accepted.length);
    await log.close();
  });
});

describe('close', () => {
  it('close waits for queued appends, then appends are refused with shutting_down', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path });
    const queued = Array.from({ length: 50 }, (_, i) => log.append(envelope(i)));
    const closing = log.close();
    const late = log.append(envelope(50));
    await expect(late).rejects.toMatchObject({ code: 'shutting_down' });
    expect(await Promise.all(queued)).toEqual(queued.map((_, i) => i));
    await closing;
    expect(log.healthy).toBe(false);
    await log.close();
    const reopened = await EmbeddedLog.open({ dir: dir.path });
    expect(reopened.end).toBe(50);
    await reopened.close();
  });

  it('options that make no sense are refused at open', async () => {
    await expect(EmbeddedLog.open({ dir: dir.path, segmentBytes: 0 })).rejects.toThrow(/segmentBytes must be a positive integer/);
    await expect(EmbeddedLog.open({ dir: dir.path, maxPendingBytes: -1 })).rejects.toThrow(/maxPendingBytes must be a positive integer/);
  });
});
