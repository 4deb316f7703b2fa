// The embedded log after a failed write or fdatasync (a full disk): it refuses while the disk
// fails, then takes appends again without a restart, and keeps every acknowledged record once.
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { envelope, fileHandlePrototype, readAll } from './log-fixtures.js';

let dir: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  dir = await tempDir('embedded-log-repair-');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await dir.remove();
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** Appends `i` until the log takes it (bounded): the repair runs once its delay has passed. */
async function appendOnceRepaired(log: EmbeddedLog, i: number): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    try {
      return await log.append(envelope(i));
    } catch (err) {
      expect((err as { code?: string }).code).toBe('not_durable');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error('the log never took appends again');
}

async function reopenedEnvelopes(): Promise<unknown[]> {
  const log = await EmbeddedLog.open({ dir: dir.path });
  try {
    return (await readAll(log)).map((q) => q.envelope);
  } finally {
    await log.close();
  }
}

describe('repair after a failure', () => {
  it('a write that fails half-written (the disk filled) is cleared, and appends resume in sequence', async () => {
    const events: string[] = [];
    const log = await EmbeddedLog.open({ dir: dir.path, repairDelayMs: 1, onFailure: () => events.push('failed'), onRecovered: () => events.push('recovered') });
    for (let i = 0; i < 3; i++) await log.append(envelope(i));

    // Part of the group reaches the file before the disk says no, as a short write leaves it.
    const proto = await fileHandlePrototype();
    const realWritev = proto.writev;
    vi.spyOn(proto, 'writev').mockImplementationOnce(async function (this: typeof proto, buffers: readonly NodeJS.ArrayBufferView[], position?: number) {
      await realWritev.call(this, buffers, position);
      throw enospc();
    });
    const refused = await Promise.allSettled([log.append(envelope(3, 900)), log.append(envelope(4, 900))]);
    expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(log.healthy).toBe(false);

    // A small record over the cleared tail: left uncleared, the failed group's bytes after it
    // would make the next start-up refuse the segment as damaged.
    expect(await appendOnceRepaired(log, 5)).toBe(3);
    expect(log.healthy).toBe(true);
    expect(await log.append(envelope(6))).toBe(4);
    expect(events).toEqual(['failed', 'recovered']);
    const expected = [0, 1, 2, 5, 6].map((i) => envelope(i));
    expect((await readAll(log)).map((q) => q.envelope)).toEqual(expected);
    await log.close();
    expect(await reopenedEnvelopes()).toEqual(expected);
  });

  it('a failed fdatasync is repaired too, and every failure episode is reported once', async () => {
    const events: string[] = [];
    const log = await EmbeddedLog.open({ dir: dir.path, repairDelayMs: 1, onFailure: (e) => events.push((e as NodeJS.ErrnoException).code!), onRecovered: () => events.push('recovered') });
    await log.append(envelope(0));
    const datasync = vi.spyOn(await fileHandlePrototype(), 'datasync');
    datasync.mockRejectedValueOnce(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await expect(log.append(envelope(1))).rejects.toMatchObject({ code: 'not_durable' });
    expect(await appendOnceRepaired(log, 2)).toBe(1);
    datasync.mockRejectedValueOnce(enospc());
    await expect(log.append(envelope(3))).rejects.toMatchObject({ code: 'not_durable' });
    expect(await appendOnceRepaired(log, 4)).toBe(2);
    expect(events).toEqual(['EIO', 'recovered', 'ENOSPC', 'recovered']);
    await log.close();
    expect(await reopenedEnvelopes()).toEqual([0, 2, 4].map((i) => envelope(i)));
  });

  it('the log repairs itself without traffic, so readiness returns on its own; recovery is reported on the next write', async () => {
    let recovered = false;
    const log = await EmbeddedLog.open({ dir: dir.path, repairDelayMs: 1, onRecovered: () => (recovered = true) });
    vi.spyOn(await fileHandlePrototype(), 'writev').mockRejectedValueOnce(enospc());
    await expect(log.append(envelope(0))).rejects.toMatchObject({ code: 'not_durable' });
    await vi.waitFor(() => expect(log.healthy).toBe(true), { timeout: 10_000 });
    expect(recovered).toBe(false);
    expect(await log.append(envelope(1))).toBe(0);
    expect(recovered).toBe(true);
    await log.close();
  });

  it('a disk that stays full keeps refusing, retriable, reported once, and nothing refused is ever read', async () => {
    const events: string[] = [];
    const log = await EmbeddedLog.open({ dir: dir.path, repairDelayMs: 1, onFailure: () => events.push('failed'), onRecovered: () => events.push('recovered') });
    await log.append(envelope(0));
    const writev = vi.spyOn(await fileHandlePrototype(), 'writev').mockRejectedValue(enospc());
    for (let i = 1; i <= 5; i++) {
      await expect(log.append(envelope(i))).rejects.toMatchObject({ code: 'not_durable', retriable: true });
      await new Promise((r) => setTimeout(r, 5));
    }
    writev.mockRestore();
    expect(await appendOnceRepaired(log, 6)).toBe(1);
    // Repairs ran in between, but the episode ended only with a write that succeeded.
    expect(events).toEqual(['failed', 'recovered']);
    expect((await readAll(log)).map((q) => q.envelope)).toEqual([envelope(0), envelope(6)]);
    await log.close();
  });

  it('a new segment that could not be created is removed and made again', async () => {
    // Small segments, so that the second append rolls to a new one.
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 64, repairDelayMs: 1 });
    await log.append(envelope(0));
    vi.spyOn(await fileHandlePrototype(), 'truncate').mockRejectedValueOnce(enospc());
    await expect(log.append(envelope(1))).rejects.toMatchObject({ code: 'not_durable' });
    expect(await appendOnceRepaired(log, 2)).toBe(1);
    expect(await log.append(envelope(3))).toBe(2);
    expect((await readdir(dir.path)).filter((n) => n.endsWith('.seg'))).toHaveLength(3);
    await log.close();
    expect(await reopenedEnvelopes()).toEqual([0, 2, 3].map((i) => envelope(i)));
  });
});
