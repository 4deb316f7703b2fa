// README.md shows queries and a report with their output: run them on the report
// fixture and check that the output shown is the real one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExport } from '../../reports/report-export.js';
import { parseReportRequest } from '../../reports/report-params.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openFixtureStore } from './fixture.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const section = readme.split('## Useful queries')[1]!.split('\n## ')[0]!;
const examples = [...section.matchAll(/```sql\n([\s\S]*?);\n```\n\n```text\n([\s\S]*?)```/g)].map((m) => ({ sql: m[1]!, output: m[2]! }));

let store: ChdbStore;
let dir: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, dir, close } = await openFixtureStore());
});
afterAll(async () => {
  await close();
});

describe('README.md reports section', () => {
  it('shows five queries', () => {
    expect(examples).toHaveLength(5);
  });

  it.each(examples.map((e, i) => [i + 1, e] as const))('query %i prints what the README shows', async (_i, { sql, output }) => {
    // `sql` prints PrettyCompactMonoBlock by default, through the same read-only path.
    expect((await store.readOnlyQuery(sql, 'PrettyCompactMonoBlock')).toString()).toBe(output);
  });

  it('the report example prints what the README shows', async () => {
    const shown = /\$ \.\/bin\/reply-analytics\.js report (.*) --out -\n([\s\S]*?)```/.exec(readme)!;
    const args = shown[1]!.split(' ');
    const arg = (name: string) => args[args.indexOf(name) + 1];
    const req = parseReportRequest({ from: arg('--from'), to: arg('--to'), tz: arg('--tz'), format: arg('--format') });
    const exported = await buildExport(store, req, { scratchDir: dir });
    let text = '';
    for await (const chunk of exported.body) text += Buffer.from(chunk).toString('utf8');
    expect(text).toBe(shown[2]);
  });
});
