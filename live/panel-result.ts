// A panel's answer for the page: the engine's JSONCompact turned into column names and types
// and rows of plain JSON values. 64-bit integers (quoted by the engine) become numbers and
// times become epoch milliseconds, so the page never parses dates (the columns are UTC).

export interface PanelResult {
  columns: { name: string; type: string }[];
  rows: (string | number | boolean | null)[][];
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
const TIME = /^(Nullable\()?(DateTime|Date)/;

function toMs(value: string): number {
  // "2026-01-01 12:00:00.000" or "2026-01-01", in UTC.
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : `${value.replace(' ', 'T')}Z`);
}

export function toPanelResult(body: Buffer): PanelResult {
  const parsed = JSON.parse(body.toString('utf8')) as { meta: { name: string; type: string }[]; data: unknown[][] };
  const kinds = parsed.meta.map((m) => (NUMERIC.test(m.type) ? 'number' : TIME.test(m.type) ? 'time' : 'other'));
  const rows = parsed.data.map((row) =>
    row.map((v, i) => {
      if (v === null) return null;
      if (kinds[i] === 'number') return typeof v === 'number' ? v : Number(v);
      if (kinds[i] === 'time') return toMs(String(v));
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
    }),
  );
  return { columns: parsed.meta.map((m) => ({ name: m.name, type: m.type })), rows };
}
