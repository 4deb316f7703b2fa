// Values written into SQL text: names in DDL and in the migrations' record (which cannot be
// bound), and the consumer's checks, which must not be: chdb-node serializes bound queries
// through a chain that is per JavaScript thread, and two bound queries running at once on
// different threads corrupt each other's parameters in the engine (chdb's index.js says so).
// The consumer runs on a thread of its own (consumer/background-consumer.ts).

/** A ClickHouse string literal holding exactly `value` (backslash and quote escaped). */
export function stringLiteral(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * An expression for a constant Array(String): one JSON literal that the engine parses in a
 * single step. Thousands of separate literals take the SQL parser several times longer.
 */
export function stringArrayExpression(values: readonly string[]): string {
  return `JSONExtract(${stringLiteral(JSON.stringify(values))}, 'Array(String)')`;
}

/** Settings that let a query carry a batch's worth of values (the engine's default is 256 KiB). */
export const LARGE_QUERY = 'max_query_size = 67108864';
