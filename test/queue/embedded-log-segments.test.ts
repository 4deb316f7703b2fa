// The embedded log's segments: appends roll over into new ones, committed ones are deleted,
// and a fully committed log reopens with one fresh segment.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { tempDirEach } from '../helpers/temp-dir-each.js';
import { envelope, readAll, segmentFiles } from './log-fixtures.js';
import { fill } from './segment-fixtures.js';

const dir = tempDirEach('embedded-log-segments-');

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
