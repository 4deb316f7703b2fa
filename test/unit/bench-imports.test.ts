// The benches run under plain tsx, where importing vitest throws; they may share test helpers only if those never reach it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Every file reachable from `entry` through relative imports, with the bare packages each one imports. */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'|^\s*import\s*'([^']+)'/gm)].map((m) => (m[1] ?? m[2])!);
    seen.set(
      file,
      specifiers.filter((s) => !s.startsWith('.')),
    );
    for (const s of specifiers.filter((s) => s.startsWith('.'))) {
      const resolved = path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts');
      if (resolved.endsWith('.ts')) pending.push(resolved);
    }
  }
  return seen;
}

describe('bench imports', () => {
  const entries = readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts'));

  it('finds the bench entry and its test helpers', () => {
    const graph = importGraph(path.join(root, 'bench/run.ts'));
    expect(entries).toContain('run.ts');
    expect([...graph.keys()].some((f) => f.includes(`${path.sep}test${path.sep}helpers${path.sep}`))).toBe(true);
  });

  it.each(entries)('bench/%s never reaches vitest', (entry) => {
    const graph = importGraph(path.join(root, 'bench', entry));
    const offenders = [...graph].filter(([, packages]) => packages.some((p) => p === 'vitest' || p.startsWith('vitest/')));
    expect(offenders.map(([file]) => path.relative(root, file))).toEqual([]);
  });
});
