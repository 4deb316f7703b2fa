// Making the end of a segment trustworthy again after a write or fdatasync of it failed, without
// a restart: what start-up recovery proves by reading the file, proved the same way in-process.
import { open, type FileHandle } from 'node:fs/promises';
import { scanRecords } from './segment-format.js';

/**
 * Checks that `file` holds exactly `records` complete records in its first `size` bytes (the ones
 * acknowledged), then clears everything after them and makes that durable, leaving the file at
 * least `segmentBytes` long as a fresh segment is. Returns a handle opened for writing: the old
 * one saw the failure, and on Linux a handle's write-back error state is its own.
 * Throws, changing nothing, if the acknowledged records do not read back as written.
 */
export async function clearSegmentTail(file: string, size: number, records: number, segmentBytes: number): Promise<FileHandle> {
  const fh = await open(file, 'r+');
  try {
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    const scan = scanRecords(buf.subarray(0, bytesRead));
    if (bytesRead !== size || scan.validEnd !== size || scan.records.length !== records) {
      throw new Error(`embedded log: ${file} no longer reads back as written (${scan.records.length} of ${records} records, ${scan.validEnd} of ${size} bytes); restart to recover it`);
    }
    // What a failed group left after the records is cut off (the kernel drops those pages),
    // and the file regrows as zeros: the same state recovery at start-up leaves behind.
    await fh.truncate(size);
    if (size < segmentBytes) await fh.truncate(segmentBytes);
    await fh.sync();
    return fh;
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}
