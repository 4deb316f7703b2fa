// The store contract: what the consumer, the read API, reports and dashboards rely on, written
// once and run against every Store implementation (chdb-store.test.ts always,
// clickhouse-server-store.test.ts when CLICKHOUSE_URL names a server). Its parts, in order:
// store-contract-inserts.ts, store-contract-reports.ts, query-escapes.ts, store-contract-read-only.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../store/migrations.js';
import type { Store } from '../../store/store.js';
import { queryEscapes } from './query-escapes.js';
import { insertContract } from './store-contract-inserts.js';
import { readOnlyContract } from './store-contract-read-only.js';
import { reportContract } from './store-contract-reports.js';
import { contractRun } from './store-contract-run.js';

export interface ContractTarget {
  kind: Store['kind'];
  open(): Promise<Store>;
  /** Releases what open() created (a temporary directory). */
  cleanup?(): Promise<void>;
  /** The store starts empty (chDB in a new directory), so the first migrate() applies everything. */
  fresh: boolean;
  /** Why this target cannot run here; the suite is then registered as skipped, under that reason. */
  skip?: string;
}

export function storeContract(label: string, target: ContractTarget): void {
  let store: Store;
  const c = contractRun(() => store);
  const { rowsOf } = c;

  (target.skip ? describe.skip : describe)(`${label}: store contract${target.skip ? ` (SKIPPED: ${target.skip})` : ''}`, () => {
    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target.cleanup?.();
    });

    it(`is the ${target.kind} store and answers ping`, async () => {
      expect(store.kind).toBe(target.kind);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('migrations apply once and are recorded; running them again applies nothing', async () => {
      const all = migrations.map((m) => m.version);
      const first = await store.migrate();
      if (target.fresh) expect(first).toEqual(all);
      else expect(all).toEqual(expect.arrayContaining(first));
      expect(await store.migrate()).toEqual([]);
      const recorded = await rowsOf('SELECT version FROM aksita.schema_migrations FINAL ORDER BY version');
      expect(recorded.map((r) => r.version)).toEqual(expect.arrayContaining(all));
    });

    insertContract(c);
    reportContract(c);
    queryEscapes(() => store);
    readOnlyContract(c);
  });
}
