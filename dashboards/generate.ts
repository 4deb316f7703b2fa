// Writes the Grafana JSON and provisioning files from the dashboard code.
//   tsx dashboards/generate.ts          write them
//   tsx dashboards/generate.ts --check  exit 1 if any committed file differs (for CI)
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderFiles } from './all.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** Generated files that differ from disk, plus stale JSON no dashboard produces any more. */
export async function staleFiles(root = here): Promise<string[]> {
  const files = renderFiles();
  const stale: string[] = [];
  for (const [rel, content] of files) if ((await readOrNull(path.join(root, rel))) !== content) stale.push(rel);
  const existing = await readdir(path.join(root, 'generated')).catch(() => [] as string[]);
  for (const name of existing) if (!files.has(`generated/${name}`)) stale.push(`generated/${name}`);
  return stale;
}

async function write(root = here): Promise<void> {
  const files = renderFiles();
  const existing = await readdir(path.join(root, 'generated')).catch(() => [] as string[]);
  for (const name of existing) if (!files.has(`generated/${name}`)) await rm(path.join(root, 'generated', name));
  for (const [rel, content] of files) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
  console.log(`wrote ${files.size} files under ${path.relative(process.cwd(), root) || '.'}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = await staleFiles();
    if (stale.length > 0) {
      console.error(`out of date (run: npm run dashboards): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log('generated dashboards are up to date');
  } else {
    await write();
  }
}
