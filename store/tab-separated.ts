// Rows as ClickHouse TabSeparated text, the insert format of both stores. The engine parses it
// several times faster than JSON, and JavaScript writes it several times faster than
// JSON.stringify builds JSON rows (BENCHMARKS.md, "Consumer"); the escaping below is the
// format's own (ClickHouse docs, "TabSeparated: data formatting"), checked by a round trip
// through the engine in the store contract (test/store/store-contract-inserts.ts).

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
  for (const row of rows) out += line(row, columns);
  return out;
}

function line<Row extends object>(row: Row, columns: readonly (keyof Row & string)[]): string {
  let out = '';
  for (let c = 0; c < columns.length; c++) {
    out += field(row[columns[c]!] as TsvValue);
    out += c === columns.length - 1 ? '\n' : '\t';
  }
  return out;
}

/** Rows already encoded for an insert: TabSeparated bytes with the values of `columns` in that order. */
export interface EncodedRows<Row extends object> {
  columns: readonly (keyof Row & string)[];
  values: Buffer;
  count: number;
}

/**
 * Encodes rows one at a time into one growing buffer, as a consumer converts them. A batch's
 * rows then live as bytes outside the JavaScript heap rather than as thousands of objects and
 * strings that survive several garbage collections until the insert (garbage collection was a
 * quarter of the consumer's time, BENCHMARKS.md, "Consumer").
 */
export class TabSeparatedWriter<Row extends object> {
  private buf: Buffer;
  private length = 0;
  /** Where each row's bytes end. */
  private readonly ends: number[] = [];

  constructor(
    readonly columns: readonly (keyof Row & string)[],
    initialBytes = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get count(): number {
    return this.ends.length;
  }

  add(row: Row): void {
    const text = line(row, this.columns);
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.length + text.length * 3 > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + text.length * 3));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.length += this.buf.write(text, this.length, 'utf8');
    this.ends.push(this.length);
  }

  /** The rows whose index passes `keep` (all rows when omitted), ready to insert. */
  encoded(keep?: (index: number) => boolean): EncodedRows<Row> {
    if (!keep) return { columns: this.columns, values: this.buf.subarray(0, this.length), count: this.count };
    const parts: Buffer[] = [];
    let count = 0;
    // Runs of kept rows are copied as one part each.
    let runStart = -1;
    for (let i = 0; i <= this.ends.length; i++) {
      const kept = i < this.ends.length && keep(i);
      if (kept) count += 1;
      if (kept && runStart < 0) runStart = i === 0 ? 0 : this.ends[i - 1]!;
      if (!kept && runStart >= 0) {
        parts.push(this.buf.subarray(runStart, this.ends[i - 1]!));
        runStart = -1;
      }
    }
    return { columns: this.columns, values: Buffer.concat(parts), count };
  }
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
