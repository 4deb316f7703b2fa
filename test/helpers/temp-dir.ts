import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh directory under the OS temp dir; remove() deletes it. */
export async function tempDir(prefix = 'aksita-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh directory for each test of the file (beforeEach), removed after it; `path` is the running test's. */
export function tempDirEach(prefix?: string): { readonly path: string } {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeEach(async () => {
    dir = await tempDir(prefix);
  });
  afterEach(async () => {
    await dir?.remove();
  });
  return {
    get path() {
      return dir!.path;
    },
  };
}
