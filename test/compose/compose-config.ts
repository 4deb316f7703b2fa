// docker-compose.yml as Docker Compose itself reads it: `docker-compose config` (Debian's
// docker-compose package parses and validates the file without a Docker engine), its
// normalised YAML turned into JSON by PyYAML, the YAML library docker-compose itself runs on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A repository file's text. */
export const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Grafana's read-only ClickHouse account, and the server settings it depends on (mounted by docker-compose.yml). */
export const CLICKHOUSE_USERS_FILE = 'tools/clickhouse/users.d/grafana-reader.xml';
export const CLICKHOUSE_CONFIG_FILE = 'tools/clickhouse/config.d/access-control.xml';

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

/** What .env must hold at least: docker-compose.yml requires WEBHOOK_SECRET to be set (empty is allowed). */
export const MINIMAL_ENV: Record<string, string> = { WEBHOOK_SECRET: 'compose-test-secret' };

/**
 * The resolved configuration, with `envFile` standing in for .env and no other environment
 * (so neither a developer's .env nor the test run's own variables leak in).
 */
export function composeConfig(envFile: Record<string, string> = MINIMAL_ENV): { config: ComposeConfig; warnings: string[] } {
  const r = runComposeConfig(envFile);
  if (r.status !== 0) throw new Error(`docker-compose config failed (exit ${r.status}):\n${r.stderr}`);
  const json = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: r.stdout, encoding: 'utf8' });
  if (json.status !== 0) throw new Error(`could not read docker-compose's output as YAML:\n${json.stderr}`);
  const warnings = r.stderr.split('\n').filter((l) => /warn/i.test(l));
  return { config: JSON.parse(json.stdout) as ComposeConfig, warnings };
}

/** `docker-compose config` as run by composeConfig, for tests of a file it refuses. */
export function runComposeConfig(envFile: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aksita-compose-'));
  try {
    const file = path.join(dir, 'env');
    writeFileSync(
      file,
      Object.entries(envFile)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    return spawnSync('docker-compose', ['--env-file', file, '-f', path.join(ROOT, 'docker-compose.yml'), 'config'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A service's published ports as {hostIp, published, target}: docker-compose normalises
 * "ip:host:container" to a string and "host:container" to an object without host_ip.
 */
export function publishedPorts(service: ComposeService): { hostIp: string; published: number; target: number }[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'string') {
      const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+):(\d+)(?:\/\w+)?$/.exec(p);
      if (!m) throw new Error(`unexpected port entry ${p}`);
      return { hostIp: m[1] ?? '', published: Number(m[2]), target: Number(m[3]) };
    }
    const o = p as { host_ip?: string; published?: number | string; target: number };
    return { hostIp: o.host_ip ?? '', published: Number(o.published), target: Number(o.target) };
  });
}

/** "source:target[:mode]" volume entries of a service, as {source, target}. */
export function mounts(service: ComposeService): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v) => {
    const [source, target] = v.split(':') as [string, string];
    return { source, target };
  });
}
