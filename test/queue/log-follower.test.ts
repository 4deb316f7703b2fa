// Reading the embedded log from another thread's point of view: a LogFollower sees only the
// extents and commit answers the writer would post, and reads the real segment files. Here both
// sides are in one thread, wired as background-consumer.ts wires them across two.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import type { QueuedEnvelope } from '../../queue/envelope.js';
import { LogFollower } from '../../queue/log-follower.js';
import { tempDir } from '../helpers/temp-dir.js';
import { envelope, segmentFiles } from './log-fixtures.js';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('log-follower-');
});
afterEach(async () => {
  await dir.remove();
});

const append = async (log: EmbeddedLog, first: number, count: number, perGroup = 5) => {
  for (let i = first; i < first + count; i += perGroup) {
    await Promise.all(Array.from({ length: Math.min(perGroup, first + count - i) }, (_, k) => log.append(envelope(i + k, 150))));
  }
};

/** A follower of `log`, with the writer's side answering its commits as the main thread does. */
async function follow(log: EmbeddedLog): Promise<{ follower: LogFollower; extents: () => number }> {
  let extents = 0;
  let follower!: LogFollower;
  const handOff = await log.handOffReading((extent) => {
    extents += 1;
    follower.update(extent);
  });
  follower = new LogFollower(
    handOff,
    (seq) => {
      log.commit(seq).then(
        () => follower.committed(seq),
        (err: Error) => follower.commitFailed(seq, err.message),
      );
    },
    (after) => log.requestExtent(after),
  );
  return { follower, extents: () => extents };
}

async function readAll(follower: LogFollower): Promise<QueuedEnvelope[]> {
  const out: QueuedEnvelope[] = [];
  for (let batch = await follower.read(7); batch.length > 0; batch = await follower.read(7)) out.push(...batch);
  return out;
}

describe('log follower', () => {
  it('continues where the log reader stood and reads, byte-exact and in order, what is appended later across segments', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await append(log, 0, 30);
    expect((await log.read(10)).map((q) => q.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await log.commit(5);
    const { follower, extents } = await follow(log);
    expect(follower.backlog).toBe(25);

    await append(log, 30, 170);
    expect(extents()).toBeGreaterThan(0);
    expect((await segmentFiles(dir.path)).length).toBeGreaterThanOrEqual(5);
    const got = await readAll(follower);
    expect(got.map((q) => q.offset)).toEqual(Array.from({ length: 190 }, (_, i) => 10 + i));
    expect(got.map((q) => q.envelope)).toEqual(Array.from({ length: 190 }, (_, i) => envelope(10 + i, 150)));
    await follower.close();
    await log.close();
  });

  it('a wait for data ends when the writer reports new durable records', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path });
    const { follower } = await follow(log);
    let woke = false;
    const waiting = follower.waitForData(60_000).then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    await log.append(envelope(0));
    await waiting;
    expect((await follower.read(10)).map((q) => q.offset)).toEqual([0]);
    await follower.close();
    await log.close();
  });

  it('commits go through the writer, which deletes the segments the follower finished, even one it stopped exactly at the end of', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    const { follower } = await follow(log);
    await append(log, 0, 60, 3);
    const [first, second] = await segmentFiles(dir.path);
    const boundary = second!.firstSeq;
    expect((await follower.read(boundary)).map((q) => q.offset).at(-1)).toBe(boundary - 1);

    await follower.commit(boundary);
    expect(log.committed).toBe(boundary);
    expect(follower.backlog).toBe(60 - boundary);
    expect((await readdir(dir.path)).includes(path.basename(second!.file))).toBe(true);
    expect((await readdir(dir.path)).includes(path.basename(first!.file))).toBe(false);
    // The next extent no longer lists the segment the follower stands at the end of; reading
    // goes on in the next one.
    await log.append(envelope(60, 150));
    expect((await follower.read(1)).map((q) => q.offset)).toEqual([boundary]);

    // A commit the writer refuses rejects with its reason.
    await expect(follower.commit(62)).rejects.toThrow(/cannot commit 62, the log ends at 61/);
    await follower.close();
    await log.close();

    const reopened = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    expect(reopened.committed).toBe(boundary);
    await reopened.close();
  });

  it('the writer sends an extent only when asked: many durable writes while the follower is busy bring one', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path });
    let sent = 0;
    // A follower whose thread is busy: it asked once and has not taken up the answer.
    const handOff = await log.handOffReading(() => (sent += 1));
    log.requestExtent(handOff.extent.end);
    await append(log, 0, 50, 1); // 50 group commits
    expect(sent).toBe(1);
    await log.close();
  });

  it('after the hand-off the log itself refuses to read, and to hand off again', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path });
    await log.append(envelope(0));
    await follow(log);
    await expect(log.read(1)).rejects.toThrow(/handed to another thread/);
    await expect(log.handOffReading(() => {})).rejects.toThrow(/already handed off/);
    await log.close();
  });
});
