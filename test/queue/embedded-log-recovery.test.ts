// Reopening the embedded log over files a crash left behind, and segment rolling/reclaiming.
import { open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { encodeEnvelope } from '../../queue/envelope.js';
import { frameRecord } from '../../queue/segment-format.js';
import { tempDir } from '../helpers/temp-dir.js';
import { envelope, readAll, segmentFiles } from './log-fixtures.js';

let dir: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  dir = await tempDir('embedded-log-recover-');
});
afterEach(async () => {
  await dir.remove();
});

/** Appends `count` records starting at envelope(first), `perGroup` at a time, so segments roll between groups. */
async function fill(log: EmbeddedLog, first: number, count: number, perGroup = 1, bodyBytes = 150): Promise<void> {
  for (let i = first; i < first + count; i += perGroup) {
    const n = Math.min(perGroup, first + count - i);
    await Promise.all(Array.from({ length: n }, (_, k) => log.append(envelope(i + k, bodyBytes))));
  }
}

const framed = (i: number) => frameRecord(encodeEnvelope(envelope(i, 150)));
/** Bytes the first `n` records take in a segment. */
const framedBytes = (n: number) => Array.from({ length: n }, (_, i) => framed(i).length).reduce((a, b) => a + b, 0);

/** Writes `bytes` into `file` at `offset`, as a write the crash interrupted would have. */
async function writeAt(file: string, bytes: Buffer, offset: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

/** True when the file holds nothing but zero bytes from `offset` on. */
const zerosFrom = async (file: string, offset: number) => (await readFile(file)).subarray(offset).every((b) => b === 0);
const flipped = (buf: Buffer, at: number) => {
  const out = Buffer.from(buf);
  out[at]! ^= 0x01;
  return out;
};

describe('a torn tail on the newest segment', () => {
  const damage: [string, () => Buffer][] = [
    ['a truncated header', () => framed(99).subarray(0, 5)],
    ['a truncated payload', () => framed(99).subarray(0, framed(99).length - 10)],
    ['a record with a flipped CRC byte', () => flipped(framed(99), 6)],
    ['a record with a flipped payload byte', () => flipped(framed(99), 30)],
    ['zero bytes (size extended, data never written)', () => Buffer.alloc(4096)],
    ['random garbage', () => Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 97 + 13) & 0xff))],
  ];

  it.each(damage)('%s is cleared on reopen; complete records stay and new appends follow them', async (_name, tail) => {
    const first = await EmbeddedLog.open({ dir: dir.path });
    await fill(first, 0, 12, 4);
    await first.close();
    const [segment] = await segmentFiles(dir.path);
    const goodSize = segment!.size;
    expect(goodSize).toBe(framedBytes(12));
    // Right after the last complete record, where the interrupted group commit was writing.
    await writeAt(segment!.file, tail(), goodSize);

    const log = await EmbeddedLog.open({ dir: dir.path });
    expect(log.end).toBe(12);
    expect(await zerosFrom(segment!.file, goodSize)).toBe(true);
    expect((await stat(segment!.file)).size).toBe(segment!.fileSize);
    expect(await log.append(envelope(12, 150))).toBe(12);
    const expected = Array.from({ length: 13 }, (_, i) => envelope(i, 150));
    expect((await readAll(log)).map((q) => q.envelope)).toEqual(expected);
    await log.close();

    const again = await EmbeddedLog.open({ dir: dir.path });
    expect((await readAll(again)).map((q) => q.envelope)).toEqual(expected);
    await again.close();
  });

  it('a torn tail on the newest of several segments is cleared and the older segments are untouched', async () => {
    const first = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(first, 0, 60, 3);
    await first.close();
    const before = await segmentFiles(dir.path);
    expect(before.length).toBeGreaterThan(2);
    await writeAt(before.at(-1)!.file, framed(99).subarray(0, 40), before.at(-1)!.size);

    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    expect(await segmentFiles(dir.path)).toEqual(before);
    expect((await readAll(log)).map((q) => q.offset)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await log.close();
  });
});

/** Reopens the log: it ends at `end`; one append takes sequence `end`; reopened again, it reads envelopes 0 to `end`. */
async function expectReopenAppendReopen(end: number): Promise<void> {
  const log = await EmbeddedLog.open({ dir: dir.path });
  expect(log.end).toBe(end);
  expect(await log.append(envelope(end, 150))).toBe(end);
  await log.close();
  const again = await EmbeddedLog.open({ dir: dir.path });
  expect((await readAll(again)).map((q) => q.envelope)).toEqual(Array.from({ length: end + 1 }, (_, i) => envelope(i, 150)));
  await again.close();
}

describe('segments created at full size', () => {
  it('a new segment is as large as segmentBytes from the start; the zeros after its records are not damage', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    let [segment] = await segmentFiles(dir.path);
    expect([segment!.size, segment!.fileSize]).toEqual([0, 4096]);
    await fill(log, 0, 5, 2);
    await log.close();
    [segment] = await segmentFiles(dir.path);
    expect([segment!.size, segment!.fileSize]).toEqual([framedBytes(5), 4096]);

    const reopened = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    expect(reopened.end).toBe(5);
    expect(await reopened.append(envelope(5, 150))).toBe(5);
    expect((await readAll(reopened)).map((q) => q.envelope)).toEqual(Array.from({ length: 6 }, (_, i) => envelope(i, 150)));
    await reopened.close();
    expect((await segmentFiles(dir.path)).map((f) => [f.size, f.fileSize])).toEqual([[framedBytes(6), 4096]]);
  });

  it('what a torn group left after a gap of zeros is cleared, so records appended later cannot make it readable', async () => {
    const first = await EmbeddedLog.open({ dir: dir.path });
    await fill(first, 0, 3, 3);
    await first.close();
    const [segment] = await segmentFiles(dir.path);
    // A group of two records whose first page never reached the disk but whose second did:
    // zeros where record 3 was to be, then record 4, complete and valid.
    const record3 = framed(3);
    await writeAt(segment!.file, framed(4), segment!.size + record3.length);

    // Appending record 3 fills the gap exactly: a record 4 left there would now follow it as if it were ours.
    await expectReopenAppendReopen(3);
  });

  it('a segment written before segments were created at full size (it ends at its last record) opens and takes appends', async () => {
    const file = path.join(dir.path, '0000000000000000.seg');
    await writeFile(file, Buffer.concat([0, 1, 2].map(framed)));
    await expectReopenAppendReopen(3);
  });
});

describe('damage that is not a torn write', () => {
  it('a damaged record in an older segment makes open fail with a clear error', async () => {
    const first = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(first, 0, 60, 3);
    await first.close();
    const [oldest] = await segmentFiles(dir.path);
    const bytes = await readFile(oldest!.file);
    await writeFile(oldest!.file, flipped(bytes, 200));
    await expect(EmbeddedLog.open({ dir: dir.path })).rejects.toThrow(/0000000000000000\.seg is damaged at byte \d+; it is not the newest/);
  });

  it.each([
    ['a changed payload byte', (buf: Buffer, at: number) => flipped(buf, at + 40)],
    ['a changed length', (buf: Buffer, at: number) => flipped(buf, at)],
    ['a changed checksum', (buf: Buffer, at: number) => flipped(buf, at + 5)],
  ])('%s in the middle of the newest segment makes open fail and change nothing: the records after it were acknowledged', async (_name, damage) => {
    const first = await EmbeddedLog.open({ dir: dir.path });
    await fill(first, 0, 40, 4);
    await first.close();
    const [segment] = await segmentFiles(dir.path);
    const damaged = damage(await readFile(segment!.file), framedBytes(20));
    await writeFile(segment!.file, damaged);
    await expect(EmbeddedLog.open({ dir: dir.path })).rejects.toThrow(
      new RegExp(
        `0000000000000000\\.seg is damaged at byte ${framedBytes(20)} \\(a complete record whose length or checksum is wrong, not a torn write\\), and complete records follow from byte ${framedBytes(21)}; nothing was changed`,
      ),
    );
    expect((await readFile(segment!.file)).equals(damaged)).toBe(true);
  });

  it('a consumer position before the oldest segment makes open fail: the records in between are missing', async () => {
    const first = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(first, 0, 60, 3);
    await first.commit(5);
    await first.close();
    const files = await segmentFiles(dir.path);
    await rm(files[0]!.file);
    const second = path.basename(files[1]!.file);
    await expect(EmbeddedLog.open({ dir: dir.path })).rejects.toThrow(`consumer position 5 is before the oldest segment ${second}`);
  });

  it('opening says what it cleared', async () => {
    const first = await EmbeddedLog.open({ dir: dir.path });
    await fill(first, 0, 12, 4);
    await first.close();
    const [segment] = await segmentFiles(dir.path);
    await writeAt(segment!.file, framed(12).subarray(0, 20), segment!.size);
    const log = await EmbeddedLog.open({ dir: dir.path });
    expect(log.recovered).toEqual({ file: segment!.file, at: framedBytes(12), records: 12 });
    await log.close();
    const clean = await EmbeddedLog.open({ dir: dir.path });
    expect(clean.recovered).toBeUndefined();
    await clean.close();
  });

  it('a missing segment in the middle makes open fail rather than skip records', async () => {
    const first = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(first, 0, 60, 3);
    await first.close();
    const files = await segmentFiles(dir.path);
    await rm(files[1]!.file);
    await expect(EmbeddedLog.open({ dir: dir.path })).rejects.toThrow(/does not follow the one before it/);
  });

  it('a consumer position file that is not a position makes open fail with its name', async () => {
    await writeFile(path.join(dir.path, 'consumer.pos'), 'garbage');
    await expect(EmbeddedLog.open({ dir: dir.path })).rejects.toThrow(/consumer\.pos holds "garbage"/);
  });
});

describe('segments', () => {
  it('many appends roll over into several segments, each starting where the last ended', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(log, 0, 200, 5);
    const files = await segmentFiles(dir.path);
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files[0]!.firstSeq).toBe(0);
    expect(files.every((f, i) => i === 0 || f.firstSeq > files[i - 1]!.firstSeq)).toBe(true);
    expect((await readAll(log)).map((q) => q.envelope)).toEqual(Array.from({ length: 200 }, (_, i) => envelope(i, 150)));
    await log.close();
  });

  it('committing all but the last few records deletes the consumed segments; reopen and appends still work', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(log, 0, 200, 5);
    const before = await segmentFiles(dir.path);
    expect(await readAll(log)).toHaveLength(200);
    await log.commit(197);

    const after = await segmentFiles(dir.path);
    expect(after.length).toBeLessThan(before.length);
    // Only the segment holding record 197 and any after it remain.
    expect(after[0]!.firstSeq).toBeLessThanOrEqual(197);
    expect(after.slice(1).every((f) => f.firstSeq > 197)).toBe(true);
    expect(after).toEqual(before.slice(before.length - after.length));
    await log.close();

    const reopened = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    expect(reopened.backlog).toBe(3);
    expect((await readAll(reopened)).map((q) => q.offset)).toEqual([197, 198, 199]);
    await fill(reopened, 200, 30, 5);
    expect((await readAll(reopened)).map((q) => q.envelope)).toEqual(Array.from({ length: 30 }, (_, i) => envelope(200 + i, 150)));
    await reopened.commit(230);
    expect((await segmentFiles(dir.path)).length).toBe(1);
    await reopened.close();
  });

  it('a segment is deleted as soon as it is committed, even when the reader stopped exactly at its end', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(log, 0, 60, 3);
    const [first, second] = await segmentFiles(dir.path);
    const boundary = second!.firstSeq;
    expect((await log.read(boundary)).map((q) => q.offset).at(-1)).toBe(boundary - 1);
    await log.commit(boundary);
    expect((await readdir(dir.path)).includes(path.basename(first!.file))).toBe(false);
    expect((await log.read(1)).map((q) => q.offset)).toEqual([boundary]);
    await log.close();
  });

  it('reopening a fully committed log starts one fresh segment at the next sequence number', async () => {
    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    await fill(log, 0, 60, 3);
    await readAll(log);
    await log.commit(60);
    await log.close();

    const reopened = await EmbeddedLog.open({ dir: dir.path, segmentBytes: 4096 });
    expect((await segmentFiles(dir.path)).map((f) => [f.firstSeq, f.size])).toEqual([[60, 0]]);
    expect(await reopened.append(envelope(60, 150))).toBe(60);
    expect((await readAll(reopened)).map((q) => q.envelope)).toEqual([envelope(60, 150)]);
    await reopened.close();
  });
});
