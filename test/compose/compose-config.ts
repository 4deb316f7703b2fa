// docker-compose.yml as Docker Compose itself reads it: `docker-compose config` (Debian's
// docker-compose package parses and validates the file without a Docker engine), its
// normalised YAML turned into JSON by PyYAML, the YAML library docker-compose itself runs on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: unknown[];
  healthcheck?: { test: string[] | string; start_period?: string };
  depends_on?: Record<string, { condition: string }>;
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Whether the docker-compose binary can run here. */
export function composeVersion(): string | undefined {
  const r = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The resolved configuration, with `envFile` standing in for .env and no other environment
 * (so neither a developer's .env nor the test run's own variables leak in).
 */
export function composeConfig(envFile: Record<string, string> = {}): { config: ComposeConfig; warnings: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aksita-compose-'));
  try {
    const file = path.join(dir, 'env');
    writeFileSync(file, Object.entries(envFile).map(([k, v]) => `${k}=${v}\n`).join(''));
    const r = spawnSync('docker-compose', ['--env-file', file, '-f', path.join(ROOT, 'docker-compose.yml'), 'config'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    });
    if (r.status !== 0) throw new Error(`docker-compose config failed (exit ${r.status}):\n${r.stderr}`);
    const json = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: r.stdout, encoding: 'utf8' });
    if (json.status !== 0) throw new Error(`could not read docker-compose's output as YAML:\n${json.stderr}`);
    const warnings = r.stderr.split('\n').filter((l) => /warn/i.test(l));
    return { config: JSON.parse(json.stdout) as ComposeConfig, warnings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "source:target[:mode]" volume entries of a service, as {source, target}. */
export function mounts(service: ComposeService): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v) => {
    const [source, target] = v.split(':') as [string, string];
    return { source, target };
  });
}
