// Writes a file so that it either appears whole or not at all: bytes go to a hidden temporary
// file beside the target, which is synced and renamed over the target only at the end. A
// failed export, or one interrupted with Ctrl-C, removes the temporary file.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { removeOnSignal } from './remove-on-signal.js';

/** Writes `body` to `target` atomically; returns the number of bytes written. */
export async function writeFileAtomically(target: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onChunk?: (chunk: Uint8Array) => void): Promise<number> {
  const absolute = path.resolve(target);
  const temp = path.join(path.dirname(absolute), `.${path.basename(absolute)}.${randomBytes(6).toString('hex')}.partial`);
  const release = removeOnSignal(temp);
  let written = 0;
  try {
    const handle = await open(temp, 'wx');
    try {
      for await (const chunk of body) {
        onChunk?.(chunk);
        for (let offset = 0; offset < chunk.length;) offset += (await handle.write(chunk, offset)).bytesWritten;
        written += chunk.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, absolute);
    return written;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  } finally {
    release();
  }
}
