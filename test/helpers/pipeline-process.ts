// Runs the real CLI (`reply-analytics start`) as a child process, the way a user does.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/reply-analytics.js');

export interface PipelineProcess {
  /** The webhook listener. */
  url: string;
  /** The read API and /metrics (QUERY_HOST:QUERY_PORT). */
  queryUrl: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  token(): Promise<string>;
  query(sql: string): Promise<string>;
  output(): string;
}

export async function startPipeline(dataDir: string, env: Record<string, string> = {}, command = 'start'): Promise<PipelineProcess> {
  const child = spawn(process.execPath, [BIN, command], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', QUERY_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  // Ready when the process logs its URL (it does so after the store, queue and HTTP are up).
  const { url, queryUrl } = await new Promise<{ url: string; queryUrl: string }>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      output += `${line}\n`;
      const entry = JSON.parse(line) as { msg?: string; url?: string; queryUrl?: string };
      if (entry.msg === 'pipeline ready' && entry.url && entry.queryUrl) resolve({ url: entry.url, queryUrl: entry.queryUrl });
    });
    void exited.then((code) => reject(new Error(`pipeline exited (${code}) before it was ready:\n${output}`)));
  });
  const token = async () => (await readFile(path.join(dataDir, 'run/query-token'), 'utf8')).trim();
  return {
    url,
    queryUrl,
    child,
    exited,
    token,
    output: () => output,
    async query(sql: string) {
      const res = await fetch(`${queryUrl}/api/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: sql, format: 'TSV' }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`query failed (${res.status}): ${text}`);
      return text;
    },
  };
}

/** Polls `check` until it returns true; a bounded wait for a condition, not a sleep. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
