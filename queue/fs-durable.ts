// Small helpers for crash-safe file updates on POSIX file systems.
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
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

/** Creates `dir` and any missing parents, and makes the new directory entries durable. */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // A directory's entry lives in its parent: sync every parent from the deepest new one up.
  const top = path.resolve(first);
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    await fsyncDir(path.dirname(d));
    if (d === top || d === path.dirname(d)) break;
  }
}

/**
 * Replaces `file` with `data` so that a crash leaves either the old or the new content.
 * Callers must not run two replacements of the same file at once (they share the temp name).
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, data, { flush: true, mode: 0o600 });
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
