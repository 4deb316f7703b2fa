// Small helpers for crash-safe file updates on POSIX file systems.
import { open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Makes a directory's entries (created, renamed or removed files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `data` so that a crash leaves either the old or the new content. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, data, { flush: true });
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
