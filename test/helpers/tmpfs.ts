// A real small file system for full-disk tests: a tmpfs mounted over a directory (the tests run
// as root), filled until ENOSPC and freed again by removing the filler.
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';

/** Writes `file` until the file system says ENOSPC. */
export async function fill(file: string): Promise<void> {
  const fh = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close();
  }
}

/**
 * Mounts a tmpfs of `size` (mount's syntax: 2m) over `dir`, readable by its owner only; false,
 * with `whySkipped` and the reason logged, when this machine does not allow it.
 */
export function mountTmpfs(dir: string, size: string, whySkipped: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (err) {
    console.log(`${whySkipped}: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`);
    return false;
  }
}

export const unmount = (dir: string) => execFileSync('umount', [dir]);
