// What the two stores (chdb-store.ts, clickhouse-server-store.ts) do alike, written once: the
// Store's insert methods around each engine's own send(), and the read-only guard's engine names,
// loaded once per store.
import { DEAD_LETTERS_TABLE, REPLIES_TABLE } from './migrations.js';
import { insertPayload, rowCount, type InsertPayload, type InsertRows } from './insert-payload.js';
import type { EngineNames } from './query-guard.js';
import { loadEngineNames } from './read-only-query.js';
import type { DeadLetterRow, ReplyRow } from './store.js';

export abstract class StoreBase {
  private names: Promise<EngineNames> | undefined;

  insertReplies(rows: InsertRows<ReplyRow>, token: string): Promise<void> {
    return this.insertRows(REPLIES_TABLE, rows, token);
  }

  insertDeadLetters(rows: readonly DeadLetterRow[], token: string): Promise<void> {
    return this.insertRows(DEAD_LETTERS_TABLE, rows, token);
  }

  private async insertRows<Row extends object>(table: string, rows: InsertRows<Row>, token: string): Promise<void> {
    if (rowCount(rows) === 0) return;
    await this.send(table, await insertPayload(rows, token));
  }

  /** Sends one insert as this engine takes it. */
  protected abstract send<Row extends object>(table: string, payload: InsertPayload<Row>): Promise<void>;

  /** The engine's function and table names for the read-only guard: loaded on first use, again after a failure. */
  protected engineNames(run: Parameters<typeof loadEngineNames>[0]): Promise<EngineNames> {
    this.names ??= loadEngineNames(run).catch((err: unknown) => {
      this.names = undefined;
      throw err;
    });
    return this.names;
  }
}
