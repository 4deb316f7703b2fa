// Apart from temp-dir.ts because the benches import that one outside vitest.
import { afterEach, beforeEach } from 'vitest';
import { tempDir } from './temp-dir.js';

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
