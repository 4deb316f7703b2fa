// The Dockerfile and .dockerignore: a pinned multi-stage build running as a non-root user, with
// production dependencies and every folder the CLI imports, and never .env in the build context.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, ROOT } from './compose-config.js';

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const ignore = read('.dockerignore')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));

  it('is multi-stage on a pinned Node that package.json supports, and runs as a non-root user', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const base = /^ARG NODE_IMAGE=(node:(\d+)\.\d+\.\d+-\S+)$/m.exec(dockerfile);
    expect(base, 'ARG NODE_IMAGE=node:<x.y.z>-<variant>').not.toBeNull();
    const minMajor = Number(/>=(\d+)/.exec(JSON.parse(read('package.json')).engines.node)![1]);
    expect(Number(base![2])).toBeGreaterThanOrEqual(minMajor);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toMatch(/^(?!root$|0$)/);
  });

  it('installs production dependencies only, with the lockfile', () => {
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
    expect(dockerfile).toMatch(/^RUN npm (ci|install) --omit=dev\b/m);
  });

  it('copies every folder the CLI imports, and the build context never holds .env', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) \.\/\1$/gm)].map((m) => m[1]!);
    const imported = new Set<string>();
    for (const dir of copied) {
      for (const file of readdirTs(dir)) for (const m of read(file).matchAll(/from '\.\.\/([\w-]+)\//g)) imported.add(m[1]!);
    }
    expect([...imported].filter((d) => !copied.includes(d))).toEqual([]);
    expect(ignore[0]).toBe('*'); // an allow-list
    for (const dir of copied) expect(ignore, dir).toContain(`!${dir}/`);
    expect(ignore.filter((l) => l.includes('.env'))).toEqual([]);
  });
});

/** The .ts files under a top-level folder, relative to the repository. */
function readdirTs(dir: string): string[] {
  return (readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}
