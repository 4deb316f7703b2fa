// The operations behind `erase`, `dead-letters` and `backup`, on one open store: what the
// running process serves on /api/admin/* and what the CLI runs itself on a stopped DATA_DIR.
import { replayDeadLetters } from '../consumer/replay-dead-letters.js';
import type { AdminOps } from '../reports/admin-routes.js';
import { backupStore } from '../store/backup.js';
import { listDeadLetters } from '../store/dead-letters.js';
import { erase } from '../store/erase.js';
import type { Store } from '../store/store.js';

export function dataOps(store: Store, dataDir: string, onReplayProgress?: (n: number) => void): AdminOps {
  return {
    erase: (target) => erase(store, target),
    listDeadLetters: (filter) => listDeadLetters(store, filter),
    replay: (options) => replayDeadLetters(store, { ...options, ...(onReplayProgress ? { onProgress: onReplayProgress } : {}) }),
    backup: () => backupStore(store, dataDir),
  };
}
