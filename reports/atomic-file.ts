// Writes a file so that it either appears whole or not at all: bytes go to a hidden temporary
// file beside the target, which is synced and renamed over the target only at the end. A
// failed export, or one interrupted with Ctrl-C, removes the temporary file.
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Writes `body` to `target` atomically; returns the number of bytes written. */
export async function writeFileAtomically(
  target: string,
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  onChunk?: (chunk: Uint8Array) => void,
): Promise<number> {
  const absolute = path.resolve(target);
  const temp = path.join(path.dirname(absolute), `.${path.basename(absolute)}.${randomBytes(6).toString('hex')}.partial`);
  // On Ctrl-C or SIGTERM, remove the temporary file and die of the same signal, as the
  // process would have without this handler. Not process.exit(): exiting normally while chDB
  // still streams on its own thread crashes the engine's teardown (chdb 3.4).
  const onSignal = (signal: NodeJS.Signals) => {
    try {
      unlinkSync(temp);
    } catch {
      // not created yet, or already gone
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let written = 0;
  try {
    const handle = await open(temp, 'wx');
    try {
      for await (const chunk of body) {
        onChunk?.(chunk);
        for (let offset = 0; offset < chunk.length; ) offset += (await handle.write(chunk, offset)).bytesWritten;
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
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
