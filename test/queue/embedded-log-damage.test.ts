// Damage a crash cannot explain (an older segment, the middle of the newest, a missing segment or
// position): the embedded log refuses to open, says where, and changes nothing.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { tempDirEach } from '../helpers/temp-dir-each.js';
import { segmentFiles } from './log-fixtures.js';
import { fill, flipped, framed, framedBytes, writeAt } from './segment-fixtures.js';

const dir = tempDirEach('embedded-log-damage-');

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
