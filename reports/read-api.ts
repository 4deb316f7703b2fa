// The read API of the running process: read-only SQL (/api/query) and report exports
// (/api/reports/*), both behind the query token. The composition root registers this one plugin.
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { QueryLimits } from '../store/read-only-query.js';
import type { Store } from '../store/store.js';
import { queryRoutes } from './query-route.js';
import { QuerySlots } from './query-slots.js';
import { reportRoutes } from './report-routes.js';

export interface ReadApiOptions {
  store: Store;
  token: string;
  /** What one API query may use. */
  limits: QueryLimits;
  /** API queries and exports at once (QUERY_MAX_CONCURRENT). */
  maxConcurrent: number;
  /** Where exports may write scratch files. @default os.tmpdir() */
  scratchDir?: string;
  /** Opens another connection to the same data, one per export, within `limits` (see report-routes.ts). */
  openExportStore?: () => Promise<Store>;
  /** The QUERY_MAX_CONCURRENT slots, when other routes on the listener share them. */
  slots?: QuerySlots;
}

export async function readApi(app: FastifyInstance, opts: ReadApiOptions): Promise<void> {
  const slots = opts.slots ?? new QuerySlots(opts.maxConcurrent);
  await app.register(queryRoutes, { store: opts.store, token: opts.token, limits: opts.limits, slots });
  await app.register(reportRoutes, {
    slots,
    store: opts.store,
    token: opts.token,
    scratchDir: opts.scratchDir ?? os.tmpdir(),
    ...(opts.openExportStore ? { openExportStore: opts.openExportStore } : {}),
  });
}
