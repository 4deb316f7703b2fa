// Reopening the embedded log over files a crash left behind: a torn tail is cleared, and the
// zeros of a segment created at full size are not damage.
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { tempDirEach } from '../helpers/temp-dir-each.js';
import { envelope, readAll, segmentFiles } from './log-fixtures.js';
import { fill, flipped, framed, framedBytes, writeAt, zerosFrom } from './segment-fixtures.js';

const dir = tempDirEach('embedded-log-recover-');

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
