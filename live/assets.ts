// The page's files, from a fixed allow-list read into memory once: no part of a URL ever becomes
// a file path. Each is kept as is and gzipped, with a content hash for its ETag.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const here = path.join(import.meta.dirname, 'page');
// uPlot from npm, served by us (no CDN); the minified build defines the global uPlot.
const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** URL name -> file and type. The only files the live page can reach. */
export const ASSET_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  'app.js': { file: path.join(here, 'app.js'), type: JS },
  'state.js': { file: path.join(here, 'state.js'), type: JS },
  'controls.js': { file: path.join(here, 'controls.js'), type: JS },
  'panels.js': { file: path.join(here, 'panels.js'), type: JS },
  'charts.js': { file: path.join(here, 'charts.js'), type: JS },
  'format.js': { file: path.join(here, 'format.js'), type: JS },
  'live.css': { file: path.join(here, 'live.css'), type: CSS },
  'uPlot.iife.min.js': { file: path.join(uplotDir, 'uPlot.iife.min.js'), type: JS },
  'uPlot.min.css': { file: path.join(uplotDir, 'uPlot.min.css'), type: CSS },
};

export const PAGE_FILE = path.join(here, 'index.html');

export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

export async function loadAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const [name, { file, type }] of Object.entries(ASSET_FILES)) {
    const body = await readFile(file);
    assets.set(name, { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}
