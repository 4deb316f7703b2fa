// The store contract (store-contract.ts) on a real ClickHouse server, when CLICKHOUSE_URL names
// one (with CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CLUSTER as the
// app reads them). No server can run on our machines and none is faked: without the variable
// the suite is skipped, and says so. E.g. against the compose stack:
//   CLICKHOUSE_URL=http://127.0.0.1:8123 CLICKHOUSE_PASSWORD=... npx vitest run test/store
import { loadConfig } from '../../core/config.js';
import { ClickHouseServerStore } from '../../store/clickhouse-server-store.js';
import { storeContract } from './store-contract.js';

const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('CLICKHOUSE_')));
const server = loadConfig(env).clickhouse;
const skip = server ? undefined : 'CLICKHOUSE_URL is not set, so no ClickHouse server was tested';

if (skip) {
  console.warn(
    '\n*** ClickHouse server store contract SKIPPED: CLICKHOUSE_URL is not set. ***\n' +
      '*** Only the chDB half of the store contract ran. Set CLICKHOUSE_URL (and CLICKHOUSE_USER/PASSWORD) to run it against a server. ***\n',
  );
}

storeContract(server ? `ClickHouse server ${server.url}${server.cluster ? ` (cluster ${server.cluster})` : ''}` : 'ClickHouse server', {
  kind: 'clickhouse',
  fresh: false,
  skip,
  async open() {
    return ClickHouseServerStore.open(server!);
  },
});
