// `npm run lint` enforces ARCHITECTURE.md's folder table: the table and eslint.config.js agree, and
// a forbidden import (static or dynamic, from a subfolder too) is an error.
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
// A variable specifier: the config is plain JavaScript, without type declarations.
const configPath = '../../eslint.config.js';
const { mayImport, mayImportFiles } = (await import(configPath)) as { mayImport: Record<string, string[]>; mayImportFiles: Record<string, string[]> };

/** ARCHITECTURE.md's "may import" column for each folder with a restriction: folders, and single files (`folder/name.ts`). */
function documentedTable(): { folders: Record<string, string[]>; files: Record<string, string[]> } {
  const text = readFileSync(new URL('ARCHITECTURE.md', root), 'utf8');
  const table: Record<string, string[]> = {};
  const files: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const folder = /^`([a-z]+)\/`$/.exec(cells[1] ?? '')?.[1];
    const may = cells[3];
    if (!folder || may === undefined || /anything|everything/.test(may)) continue;
    table[folder] = may === 'nothing of ours' ? [] : [...may.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]!);
    const named = [...may.matchAll(/`([a-z]+\/[a-z-]+)\.ts`/g)].map((m) => `${m[1]!}.js`);
    if (named.length > 0) files[folder] = named;
  }
  return { folders: table, files };
}

async function lint(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root.pathname });
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('import rules', () => {
  it('eslint.config.js has the folder table of ARCHITECTURE.md', () => {
    const sorted = (t: Record<string, string[]>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [...v].sort()]));
    expect(sorted(mayImport)).toEqual(sorted(documentedTable().folders));
    expect(sorted(mayImportFiles)).toEqual(sorted(documentedTable().files));
  });

  it('a forbidden import is an error, an allowed one is not', async () => {
    expect(await lint('store/probe.ts', "import '../ingest/app.js';\n")).toEqual([expect.stringContaining('no-restricted-imports: ')]);
    expect(await lint('queue/kafka-sender/probe.ts', "export { x } from '../../consumer/to-row.js';\n")).toEqual([expect.stringContaining('no-restricted-imports: ')]);
    expect(await lint('core/probe.ts', "export const load = () => import('../store/store.js');\n")).toEqual([expect.stringContaining('no-restricted-syntax: ')]);
    expect(await lint('consumer/probe.ts', "import '../store/store.js';\nimport '../queue/envelope.js';\nimport '../core/retry.js';\n")).toEqual([]);
    expect(await lint('http/probe.ts', "import '../ingest/app.js';\n")).toEqual([expect.stringContaining('no-restricted-imports: ')]);
    expect(await lint('cli/probe.ts', "import '../ingest/app.js';\n")).toEqual([]);
    // A single file a folder may import, and no other file of its folder.
    expect(await lint('tools/kafka/probe.ts', "import '../../queue/kafkajs-request-queue-patch.js';\n")).toEqual([]);
    expect(await lint('tools/kafka/probe.ts', "import '../../queue/kafkajs-request-queue-patch-copy.js';\n")).toEqual([expect.stringContaining('no-restricted-imports: ')]);
    expect(await lint('tools/kafka/probe.ts', "export const load = () => import('../../queue/kafka-client.js');\n")).toEqual([expect.stringContaining('no-restricted-syntax: ')]);
  });
});
