// A chDB store in a new temporary directory with every migration applied, for tests that need
// the real engine and schema.
import { ChdbStore } from '../../store/chdb-store.js';
import { tempDir } from './temp-dir.js';

export interface MigratedStore {
  store: ChdbStore;
  /** The store's data directory, also free for a test's own files. */
  dir: string;
  /** Closes the store and removes the directory. */
  close(): Promise<void>;
}

export async function openMigratedStore(prefix?: string): Promise<MigratedStore> {
  const dir = await tempDir(prefix);
  const store = await ChdbStore.open(dir.path);
  await store.migrate();
  return {
    store,
    dir: dir.path,
    close: async () => {
      await store.close();
      await dir.remove();
    },
  };
}
