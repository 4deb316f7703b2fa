// The store contract (store-contract.ts) on real chDB, in a new data directory.
import { ChdbStore } from '../../store/chdb-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { storeContract } from './store-contract.js';

let dir: Awaited<ReturnType<typeof tempDir>> | undefined;

storeContract('chDB', {
  kind: 'chdb',
  fresh: true,
  async open() {
    dir = await tempDir();
    return ChdbStore.open(dir.path);
  },
  async cleanup() {
    await dir?.remove();
  },
});
