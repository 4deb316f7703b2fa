// Reading exports back: a small RFC 4180 CSV parser (our own, not the engine's) and an export
// written the way the CLI writes it.
import path from 'node:path';
import { writeFileAtomically } from '../../reports/atomic-file.js';
import { buildExport } from '../../reports/report-export.js';
import { parseReportRequest, type ReportInput } from '../../reports/report-params.js';
import type { Store } from '../../store/store.js';

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), (i += 1));
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(field), (field = ''));
    else if (c === '\n') (row.push(field), rows.push(row), (row = []), (field = ''));
    else field += c;
  }
  if (field !== '' || row.length > 0) (row.push(field), rows.push(row));
  return rows;
}

/** CSV with a header row -> objects keyed by column name (values stay text). */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

export const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Exports a report from `store` into `dir` as the CLI does in direct mode; returns the file. */
export async function exportFile(store: Store, dir: string, input: ReportInput, name: string): Promise<string> {
  const req = parseReportRequest(input);
  const exported = await buildExport(store, req, { scratchDir: dir, generatedAt: new Date('2026-03-12T01:02:03Z') });
  const file = path.join(dir, name);
  try {
    await writeFileAtomically(file, exported.body);
  } finally {
    await exported.dispose();
  }
  return file;
}
