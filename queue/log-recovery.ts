// Opening the embedded log after a clean stop or a crash: the segments are read back, a torn
// final write (never acknowledged) is cleared, and anything else that is not as written stops
// start-up with what was found, changing nothing.
import { open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { mkdirDurable } from './fs-durable.js';
import { createSegment } from './log-writer.js';
import { looksTorn, nextValidRecord, scanRecords, zeroFrom } from './segment-format.js';
import type { ReadPosition, SegmentExtent } from './segment-reader.js';

/** Holds the next sequence number the consumer has not stored yet. */
export const POSITION_FILE = 'consumer.pos';

export interface RecoveredLog {
  segments: SegmentExtent[];
  committed: number;
  end: number;
  /** Where reading resumes: the committed position in its segment, or undefined when nothing is unconsumed (a fresh segment). */
  cursor: ReadPosition | undefined;
  /** The newest segment, open for writing. */
  handle: FileHandle;
  /** What was cleared: the torn end of the newest segment, from byte `at` (after record `records` - 1). */
  recovered: { file: string; at: number; records: number } | undefined;
}

export async function recoverLog(dir: string, segmentBytes: number): Promise<RecoveredLog> {
  await mkdirDurable(dir);
  const names = (await readdir(dir)).filter((n) => /^\d{16}\.seg$/.test(n)).sort();
  const position = await readPosition(dir);
  let committed = position ?? 0;
  const oldest = names[0] ? Number(names[0].slice(0, 16)) : 0;
  if (committed < oldest) {
    // Segments are deleted only once wholly committed: with a position before the oldest, the
    // records in between are gone. Without a position file (never committed), start at the oldest.
    if (position !== undefined && names.length > 0) {
      throw new Error(`embedded log: consumer position ${position} is before the oldest segment ${names[0]} in ${dir}: records ${position} to ${oldest - 1} are missing`);
    }
    committed = oldest;
  }
  const segments: SegmentExtent[] = [];
  let recovered: RecoveredLog['recovered'];
  let expected: number | undefined;
  let cursor: ReadPosition | undefined;
  for (const [i, name] of names.entries()) {
    const file = path.join(dir, name);
    const firstSeq = Number(name.slice(0, 16));
    if (expected !== undefined && firstSeq !== expected) throw new Error(`embedded log: segment ${file} does not follow the one before it (expected it to start at ${expected})`);
    const buf = await readFile(file);
    const scan = scanRecords(buf);
    // Zeros after the last record are the part of the segment not written yet; anything else
    // there is what a crash left of a group commit that never completed.
    if (!zeroFrom(buf, scan.validEnd)) {
      if (i < names.length - 1) throw new Error(`embedded log: segment ${file} is damaged at byte ${scan.validEnd}; it is not the newest, so this is not a torn write`);
      // Complete records after a record damaged in a way no crash leaves (see looksTorn) are
      // records that were acknowledged: refuse, and change nothing, rather than clear them.
      const after = nextValidRecord(buf, scan.validEnd);
      if (after !== undefined && !looksTorn(buf, scan.validEnd, after)) {
        throw new Error(
          `embedded log: segment ${file} is damaged at byte ${scan.validEnd} (a complete record whose length or checksum is wrong, not a torn write), and complete records follow from byte ${after}; nothing was changed. Keep a copy of the segment and restore it, or remove it to give up the records from byte ${scan.validEnd} on`,
        );
      }
      recovered = { file, at: scan.validEnd, records: firstSeq + scan.records.length };
      // A torn final write: never acknowledged, safe to clear. Cleared rather than left
      // behind: records appended later over the zeros could end exactly where a complete
      // record of that torn group begins, which the next recovery would then read as ours.
      await clearFrom(file, scan.validEnd, segmentBytes);
    }
    segments.push({ firstSeq, file, size: scan.validEnd });
    expected = firstSeq + scan.records.length;
    if (committed >= firstSeq && committed < expected) {
      cursor = { seq: committed, segment: firstSeq, offset: scan.records[committed - firstSeq]!.start };
    }
  }
  const end = expected ?? committed;
  if (committed > end) throw new Error(`embedded log: consumer position ${committed} is past the end of the log (${end}) in ${dir}`);
  if (cursor !== undefined) return { segments, committed, end, cursor, handle: await open(segments.at(-1)!.file, 'r+'), recovered };
  // Nothing unconsumed: start a fresh segment at the consumer position and drop the rest.
  for (const s of segments.splice(0)) await unlink(s.file);
  const fresh = await createSegment(dir, end, segmentBytes);
  return { segments: [fresh.segment], committed, end, cursor, handle: fresh.handle, recovered };
}

/** Cuts `file` at `at` and regrows it with zeros to a segment's size, durably. */
async function clearFrom(file: string, at: number, segmentBytes: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.truncate(at);
    if (at < segmentBytes) await fh.truncate(segmentBytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readPosition(dir: string): Promise<number | undefined> {
  const file = path.join(dir, POSITION_FILE);
  const raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (raw === undefined) return undefined;
  let next: unknown;
  try {
    next = (JSON.parse(raw) as { next?: unknown }).next;
  } catch {
    next = undefined;
  }
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0) {
    throw new Error(`embedded log: ${file} holds ${JSON.stringify(raw)}; expected {"next": <sequence number>}`);
  }
  return next;
}
