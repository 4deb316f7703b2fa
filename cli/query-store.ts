// The store that `sql` and `report` open themselves when no process holds DATA_DIR.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';

/**
 * Opens the store, refusing a DATA_DIR without chDB data: opening one would create an empty
 * store there and answer every question with nothing, so a mistyped DATA_DIR went unnoticed.
 */
export async function openQueryStore(config: Config): Promise<Store> {
  if (!config.clickhouse) {
    const dir = path.join(config.dataDir, 'chdb');
    const exists = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists) {
      throw new AppError('config_invalid', [`  DATA_DIR=${config.dataDir}: holds no data (no ${dir}); expected the DATA_DIR that reply-analytics start runs with`]);
    }
  }
  const store = await openStore(config);
  await store.migrate();
  return store;
}
