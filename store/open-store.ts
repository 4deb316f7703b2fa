// The one place that picks the store: a ClickHouse server when CLICKHOUSE_URL is set, chDB
// under DATA_DIR otherwise. Each is imported only when chosen, so a server-mode process
// never loads chDB's engine library (hundreds of MB) into memory.
import type { Config } from '../core/config.js';
import type { QueryLimits } from './read-only-query.js';
import type { Store } from './store.js';

/**
 * `onWait`: called if chDB's directory is held by another process and opening waits for it.
 * `limits`: every query of this store runs within them (a report export's store).
 */
export async function openStore(config: Pick<Config, 'dataDir' | 'clickhouse'>, onWait?: () => void, limits?: QueryLimits): Promise<Store> {
  if (config.clickhouse) {
    const { ClickHouseServerStore } = await import('./clickhouse-server-store.js');
    return ClickHouseServerStore.open(config.clickhouse, limits);
  }
  const { ChdbStore } = await import('./chdb-store.js');
  return ChdbStore.open(config.dataDir, { onWait, ...(limits ? { limits } : {}) });
}
