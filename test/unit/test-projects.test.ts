// Every test file belongs to exactly one vitest project (vitest.config.ts), as vitest itself
// resolves them, and the config's file lists name files that exist.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createVitest } from 'vitest/node';
import { describe, expect, it } from 'vitest';
import { E2E_ELSEWHERE, PROJECTS, UNIT_ELSEWHERE } from '../../vitest.config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('vitest projects', () => {
  it('the listed files exist', () => {
    const listed = [...UNIT_ELSEWHERE, ...E2E_ELSEWHERE, ...PROJECTS.kafka.exclude];
    expect(listed.filter((file) => !existsSync(path.join(ROOT, file)))).toEqual([]);
  });

  it('each test file is in exactly one project', async () => {
    const vitest = await createVitest('test', { root: ROOT, watch: false, config: path.join(ROOT, 'vitest.config.ts') });
    try {
      const specs = await vitest.globTestSpecifications();
      const projectsOf = new Map<string, string[]>();
      for (const spec of specs) {
        const file = path.relative(ROOT, spec.moduleId);
        projectsOf.set(file, [...(projectsOf.get(file) ?? []), spec.project.name]);
      }
      const files = readdirSync(path.join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.test.ts'))
        .map((file) => path.join('test', file));
      expect(files.length).toBeGreaterThan(70);
      expect(files.filter((file) => projectsOf.get(file)?.length !== 1).map((file) => `${file}: ${projectsOf.get(file)?.join(', ') ?? 'no project'}`)).toEqual([]);
      expect([...projectsOf.keys()].filter((file) => !files.includes(file))).toEqual([]);
    } finally {
      await vitest.close();
    }
  });
});
