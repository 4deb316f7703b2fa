// Report exports over HTTP on the running process, for the CLI and for BI tools:
//   GET /api/reports/summary?from=2026-01-01&to=2026-01-31&tz=Asia/Jakarta&agent=a,b&format=csv
//   GET /api/reports/detail?...&format=csv|json|parquet
//   Authorization: Bearer <QUERY_TOKEN>   (the same token as /api/query)
// The SQL is this project's own (report-query.ts); request values are bound parameters.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { bearerAuth } from './bearer-auth.js';
import type { QuerySlots } from './query-slots.js';
import { buildExport } from './report-export.js';
import { parseReportRequest, type ReportInput } from './report-params.js';

export interface ReportRouteOptions {
  store: Store;
  token: string;
  /** Where the engine may write scratch files (Parquet detail on chDB). */
  scratchDir: string;
  /**
   * Opens another connection to the same data for one export. chDB ends a result stream as
   * soon as anything else runs on its session, which the consumer's inserts do all the time;
   * a connection of the export's own keeps both going. Without it, `store` is used.
   */
  openExportStore?: () => Promise<Store>;
  /** Exports share the API queries' concurrency cap; a slot is held until the body is sent. */
  slots: QuerySlots;
}

export async function reportRoutes(app: FastifyInstance, opts: ReportRouteOptions): Promise<void> {
  // No automatic HEAD route: it would run the whole export to throw the body away.
  app.get('/api/reports/:kind', { onRequest: bearerAuth(opts.token), exposeHeadRoute: false }, async (req, reply) => {
    const { kind } = req.params as { kind: string };
    if (kind !== 'summary' && kind !== 'detail') throw new AppError('not_found', [`GET /api/reports/${kind} (expected summary or detail)`]);
    const query = req.query as Record<string, unknown>;
    const request = parseReportRequest({ ...(query as ReportInput), kind, format: query.format ?? 'csv' });
    const freeSlot = opts.slots.take();
    let store: Store;
    try {
      store = opts.openExportStore ? await opts.openExportStore() : opts.store;
    } catch (err) {
      freeSlot();
      throw err;
    }
    const release = async () => {
      freeSlot();
      if (store !== opts.store) await store.close();
    };
    let exported;
    try {
      exported = await buildExport(store, request, { scratchDir: opts.scratchDir });
    } catch (err) {
      await release();
      throw err;
    }
    const body = Readable.from(exported.body, { objectMode: false });
    body.once('close', () => void exported.dispose().finally(release));
    void reply.type(exported.contentType).header('content-disposition', `attachment; filename="${exported.fileName}"`);
    if (exported.totalRows !== undefined) void reply.header('x-total-rows', String(exported.totalRows));
    if (exported.byteLength !== undefined) void reply.header('content-length', String(exported.byteLength));
    return reply.send(body);
  });
}
