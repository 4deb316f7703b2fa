// Rows as ClickHouse TabSeparated text, the insert format of both stores. The engine parses it
// several times faster than JSON, and JavaScript writes it several times faster than
// JSON.stringify builds JSON rows (BENCHMARKS.md, "Consumer"); the escaping below is the
// format's own (ClickHouse docs, "TabSeparated: data formatting"), checked by a round trip
// through the engine in test/store/tab-separated.test.ts.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** A column value: text, a finite number, or an array of text (Array(String)). */
export type TsvValue = string | number | readonly string[];

// Escaped: a tab, line feed or backslash would end or corrupt the field; a carriage return or
// NUL is escaped too so that no raw control byte reaches the parser.
const ESCAPED = /[\\\t\n\r\0]/;
const ESCAPED_ALL = /[\\\t\n\r\0]/g;
// Inside an array, elements are single-quoted, so a quote is escaped as well.
const QUOTED = /[\\'\t\n\r\0]/;
const QUOTED_ALL = /[\\'\t\n\r\0]/g;
const SEQUENCES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', "'": "\\'" };
const sequence = (c: string): string => SEQUENCES[c]!;

function field(value: TsvValue): string {
  if (typeof value === 'string') return ESCAPED.test(value) ? value.replace(ESCAPED_ALL, sequence) : value;
  if (typeof value === 'number') {
    // NaN or Infinity would be stored as something else: refuse (the payload schema never lets them through).
    if (!Number.isFinite(value)) throw new RangeError(`cannot insert the number ${value}`);
    return String(value);
  }
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    const item = value[i]!;
    out += `${i === 0 ? '' : ','}'${QUOTED.test(item) ? item.replace(QUOTED_ALL, sequence) : item}'`;
  }
  return `${out}]`;
}

/** TabSeparated text of `rows`, with the values of `columns` in that order. */
function toTabSeparated<Row extends object>(rows: readonly Row[], columns: readonly (keyof Row & string)[]): string {
  let out = '';
  for (const row of rows) {
    for (let c = 0; c < columns.length; c++) {
      out += field(row[columns[c]!] as TsvValue);
      out += c === columns.length - 1 ? '\n' : '\t';
    }
  }
  return out;
}

// Rows encoded between two yields to the event loop (about 0.5 ms): a batch of 20,000 rows
// takes tens of milliseconds to encode, and in embedded mode a webhook must not wait that long.
const ROWS_PER_SLICE = 256;

/** The same bytes as toTabSeparated, encoded in slices that let other work run in between. */
export async function encodeTabSeparated<Row extends object>(rows: readonly Row[], columns: readonly (keyof Row & string)[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_SLICE) {
    if (i > 0) await yieldToEventLoop();
    parts.push(Buffer.from(toTabSeparated(rows.slice(i, i + ROWS_PER_SLICE), columns), 'utf8'));
  }
  return Buffer.concat(parts);
}
