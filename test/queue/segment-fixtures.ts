// Writing segments as the embedded-log tests need them, and damaging them the way an interrupted
// write or a failing disk would, for the recovery, damage and segment tests.
import { open, readFile } from 'node:fs/promises';
import type { EmbeddedLog } from '../../queue/embedded-log.js';
import { encodeEnvelope } from '../../queue/envelope.js';
import { frameRecord } from '../../queue/segment-format.js';
import { envelope } from './log-fixtures.js';

/** Appends `count` records starting at envelope(first), `perGroup` at a time, so segments roll between groups. */
export async function fill(log: EmbeddedLog, first: number, count: number, perGroup = 1, bodyBytes = 150): Promise<void> {
  for (let i = first; i < first + count; i += perGroup) {
    const n = Math.min(perGroup, first + count - i);
    await Promise.all(Array.from({ length: n }, (_, k) => log.append(envelope(i + k, bodyBytes))));
  }
}

export const framed = (i: number) => frameRecord(encodeEnvelope(envelope(i, 150)));
/** Bytes the first `n` records take in a segment. */
export const framedBytes = (n: number) => Array.from({ length: n }, (_, i) => framed(i).length).reduce((a, b) => a + b, 0);

/** Writes `bytes` into `file` at `offset`, as a write the crash interrupted would have. */
export async function writeAt(file: string, bytes: Buffer, offset: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

/** True when the file holds nothing but zero bytes from `offset` on. */
export const zerosFrom = async (file: string, offset: number) => (await readFile(file)).subarray(offset).every((b) => b === 0);
export const flipped = (buf: Buffer, at: number) => {
  const out = Buffer.from(buf);
  out[at]! ^= 0x01;
  return out;
};
