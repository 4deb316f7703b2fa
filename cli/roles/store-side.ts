// The store side of a role: the store migrated and its retention applied, the read API's and
// admin API's parts, and the alert evaluator.
import path from 'node:path';
import { startAlertEvaluator } from '../../alerts/evaluator.js';
import { adminToken, queryToken } from '../../core/run-files.js';
import { clusterRunner } from '../../store/cluster-ddl.js';
import { openStore } from '../../store/open-store.js';
import { applyRetention } from '../../store/retention.js';
import type { Store } from '../../store/store.js';
import { liveRoutes } from '../../live/live-routes.js';
import { dataOps } from '../data-ops.js';
import type { RoleContext } from './role-parts.js';

export async function openStoreSide({ config, logger, parts }: RoleContext): Promise<Store> {
  const store = await openStore(config, () => logger.warn({ dataDir: config.dataDir }, 'another process (a sql or report command?) has the chDB directory open: waiting up to 30 s for it'));
  parts.store = store;
  const applied = await store.migrate();
  if (applied.length > 0) logger.info({ applied }, 'schema migrations applied');
  parts.readiness.store = async () => (await store.ping(), true);
  const retention = await applyRetention(
    clusterRunner(async (sql) => (await store.query(sql, { format: 'TSVRaw' })).toString('utf8'), config.clickhouse?.cluster),
    config.retention,
  );
  if (retention.length > 0) logger.info({ retention }, 'retention settings applied');
  parts.admin = { token: await adminToken(config.dataDir, config.adminToken), ops: dataOps(store, config.dataDir) };
  const token = await queryToken(config.dataDir, config.queryToken);
  parts.api = { store, token, scratchDir: path.join(config.dataDir, 'run'), openExportStore: () => openStore(config, undefined, config.query) };
  // The live dashboards on the same listener (README, "Live dashboards").
  parts.api.routes = async (app, slots) => void (await app.register(liveRoutes, { store, token, limits: config.query, slots }));
  return store;
}

/** Alert rules against the store, stopped before it closes (README, "Alerts"). */
export async function startAlerts({ config, logger, metrics, parts }: RoleContext, store: Store): Promise<void> {
  if (config.alerts.intervalSeconds <= 0) return;
  const alerts = await startAlertEvaluator({ store, config: config.alerts, dataDir: config.dataDir, logger, metrics });
  parts.closers.unshift(() => alerts.stop());
}
