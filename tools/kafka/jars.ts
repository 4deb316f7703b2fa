// Locates (and on first use downloads) the Kafka broker jars via fetch-jars.sh,
// which owns the pinned version and the cache layout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const fetchJarsScript = join(here, 'fetch-jars.sh');

let pending: Promise<string> | undefined;

/**
 * Returns the folder holding the broker jars, running fetch-jars.sh first.
 * The script is a no-op taking a few ms when the cache is complete, so it is
 * always run: that keeps the "is it complete" rule in one place.
 * Memoised per process; a failure is not cached so a later call can retry.
 */
export function ensureJars(): Promise<string> {
  pending ??= runFetch().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

function runFetch(): Promise<string> {
  return new Promise((resolve, reject) => {
    // stderr is inherited: a first-time download shows Maven's progress/errors.
    const child = spawn('bash', [fetchJarsScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const libs = out.trim().split('\n').pop() ?? '';
      if (code === 0 && libs && existsSync(libs)) resolve(libs);
      else reject(new Error(`${fetchJarsScript} failed (exit ${code}); stdout: ${out.trim()}`));
    });
  });
}
