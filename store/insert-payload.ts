// What both stores send for an insert of rows: the column list, the rows as TabSeparated bytes,
// and the settings that make a retried insert (same token) a no-op (ARCHITECTURE.md, "Exactly once").
// Each store adds its own settings (chDB: priority and parsing; server: async inserts, quorum).
import { encodeTabSeparated, type EncodedRows } from './tab-separated.js';

export interface InsertPayload<Row extends object> {
  /** Named explicitly: an EPHEMERAL column (raw_body_base64) is only read when listed. */
  columns: [keyof Row & string, ...(keyof Row & string)[]];
  values: Buffer;
  settings: { insert_deduplication_token: string; insert_deduplicate: 1; optimize_on_insert: 0 };
}

/** Rows to insert: objects (all with the first row's keys), or rows a consumer encoded as it converted them. */
export type InsertRows<Row extends object> = readonly Row[] | EncodedRows<Row>;

const isEncoded = <Row extends object>(rows: InsertRows<Row>): rows is EncodedRows<Row> => !Array.isArray(rows);

export const rowCount = <Row extends object>(rows: InsertRows<Row>): number => (isEncoded(rows) ? rows.count : rows.length);

/** For a non-empty list of rows. */
export async function insertPayload<Row extends object>(rows: InsertRows<Row>, token: string): Promise<InsertPayload<Row>> {
  const encoded = isEncoded(rows);
  const columns = (encoded ? rows.columns : Object.keys(rows[0]!)) as InsertPayload<Row>['columns'];
  return {
    columns,
    values: encoded ? rows.values : await encodeTabSeparated(rows, columns),
    // optimize_on_insert: collapsing rows of the block that share the replacing key buys nothing,
    // the consumer already dropped duplicates within the batch.
    settings: { insert_deduplication_token: token, insert_deduplicate: 1, optimize_on_insert: 0 },
  };
}
