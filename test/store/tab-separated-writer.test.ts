// TabSeparatedWriter encodes rows one at a time into a growing buffer; whatever rows are kept,
// its bytes must be those encodeTabSeparated gives for the same rows (which the store contract
// round-trips through the engine).
import { describe, expect, it } from 'vitest';
import { encodeTabSeparated, TabSeparatedWriter } from '../../store/tab-separated.js';

interface Row {
  id: string;
  text: string;
  n: number;
  parts: string[];
}
const COLUMNS = ['id', 'text', 'n', 'parts'] as const;

const rows: Row[] = Array.from({ length: 200 }, (_, i) => ({
  id: `r${i}`,
  // ASCII, escaped characters, 2- and 3-byte UTF-8 and a surrogate pair (4 bytes), and lengths
  // that make the buffer grow several times from a tiny start.
  text: ['plain', 'tab\there', 'line\nfeed\\back', 'é ü', '中文字', 'emoji 🙂', 'x'.repeat(i * 7)][i % 7]!,
  n: i * 1.5,
  parts: i % 3 === 0 ? [] : [`it's`, 'a\tb', '🙂'],
}));

describe('TabSeparatedWriter', () => {
  const keeps: [string, (i: number) => boolean][] = [
    ['every row', () => true],
    ['no row', () => false],
    ['every other row', (i) => i % 2 === 0],
    ['all but the first', (i) => i > 0],
    ['all but the last', (i) => i < rows.length - 1],
    ['runs of three with gaps', (i) => i % 5 < 3],
  ];
  it.each(keeps)('keeps the same bytes as encoding the kept rows: %s', async (_, keep) => {
    const writer = new TabSeparatedWriter<Row>(COLUMNS, 16);
    for (const row of rows) writer.add(row);
    const kept = rows.filter((_, i) => keep(i));
    const encoded = writer.encoded(keep);
    expect(encoded.count).toBe(kept.length);
    expect(encoded.columns).toEqual(COLUMNS);
    expect(encoded.values.equals(await encodeTabSeparated(kept, COLUMNS))).toBe(true);
  });

  it('without a filter gives every row', async () => {
    const writer = new TabSeparatedWriter<Row>(COLUMNS, 1);
    for (const row of rows) writer.add(row);
    expect(writer.count).toBe(rows.length);
    expect(writer.encoded().values.equals(await encodeTabSeparated(rows, COLUMNS))).toBe(true);
  });

  it('grows to fit a row of multi-byte characters (UTF-8 is longer than the text)', async () => {
    const wide: Row[] = [{ id: '中'.repeat(300), text: '🙂'.repeat(300), n: 1, parts: ['é'.repeat(300)] }];
    // About 1,200 UTF-16 code units and 2,700 bytes: room for the text's length is not enough.
    const writer = new TabSeparatedWriter<Row>(COLUMNS, 1_500);
    writer.add(wide[0]!);
    expect(writer.encoded().values.equals(await encodeTabSeparated(wide, COLUMNS))).toBe(true);
  });
});
