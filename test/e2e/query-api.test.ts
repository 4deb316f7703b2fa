// The read API of a real `reply-analytics start`: on its own listener (QUERY_PORT), never the
// webhook port; bounded in concurrency and memory; a query whose client left is stopped in the
// engine; no file is reachable; `reply-analytics sql` still finds the process.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const HEAVY = 'SELECT count() FROM numbers(1e12)';
/** CPU time (in clock ticks, usually 1/100 s) the heavy queries must have used before they are left. */
const HEAVY_TICKS = 200;

/** User and system CPU time a process has used so far, in clock ticks (proc(5)). */
async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

describe('the read API of a running process', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: PipelineProcess;
  let token: string;

  // A long timeout, so that only cancellation can end the heavy queries within the test.
  beforeAll(async () => {
    dir = await tempDir();
    p = await startPipeline(dir.path, { WEBHOOK_SECRET: 's3cr3t', QUERY_MAX_CONCURRENT: '2', QUERY_TIMEOUT_SECONDS: '600', QUERY_MAX_MEMORY_MB: '256' });
    token = await p.token();
  });
  afterAll(async () => {
    p.child.kill('SIGKILL');
    await dir.remove();
  });

  const query = (base: string, sql: string, signal?: AbortSignal) =>
    fetch(`${base}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: sql, format: 'TSV' }),
      ...(signal ? { signal } : {}),
    });

  it('is on QUERY_PORT and not on the webhook port; so is /metrics', async () => {
    expect(p.queryUrl).not.toBe(p.url);
    const onQueryPort = await query(p.queryUrl, 'SELECT 1');
    expect(onQueryPort.status).toBe(200);
    expect(await onQueryPort.text()).toBe('1\n');
    const onWebhookPort = await query(p.url, 'SELECT 1');
    expect(onWebhookPort.status).toBe(404);
    expect((await fetch(`${p.url}/api/reports/summary?from=2026-01-01&to=2026-01-02`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`${p.url}/metrics`)).status).toBe(404);
    const metrics = await fetch(`${p.queryUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/aksita_/);
    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
  });

  it('scalar file() is refused with query_refused naming the function', async () => {
    const res = await query(p.queryUrl, "SELECT file('/proc/self/environ')");
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('query_refused');
    expect(body.error.message).toMatch(/file\(\)/);
  });

  it('the memory limit refuses a query that would hold too much, with query_limit', async () => {
    const res = await query(p.queryUrl, 'SELECT length(groupArray(number)) FROM numbers(300000000)');
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('query_limit');
  });

  it('beyond QUERY_MAX_CONCURRENT a query is answered 429; heavy queries whose clients left are stopped', async () => {
    const clients = [new AbortController(), new AbortController()];
    const before = await cpuTicks(p.child.pid!);
    const heavy = clients.map((c) => query(p.queryUrl, HEAVY, c.signal).catch(() => undefined));
    let refused: Response | undefined;
    await waitFor(async () => {
      const res = await query(p.queryUrl, 'SELECT 1');
      if (res.status !== 429) return false;
      refused = res;
      return true;
    }, 'both slots to be taken by the heavy queries');
    expect(refused!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused!.json()) as { error: { code: string } }).error.code).toBe('too_many_queries');
    // The slots are taken before the SQL is checked; the engine working shows the queries ran.
    await waitFor(async () => (await cpuTicks(p.child.pid!)) - before > HEAVY_TICKS, 'the heavy queries to be running in the engine');
    for (const c of clients) c.abort();
    await Promise.all(heavy);
    // The slots come back only when the engine has returned from the queries: without
    // cancellation they would run for QUERY_TIMEOUT_SECONDS.
    await waitFor(async () => (await query(p.queryUrl, 'SELECT 1')).status === 200, 'a slot to be free again', 20_000);
    await waitFor(
      async () => {
        const [a, b] = await Promise.all([query(p.queryUrl, 'SELECT 2'), query(p.queryUrl, 'SELECT 3')]);
        return a.status === 200 && b.status === 200;
      },
      'both slots to be free again',
      20_000,
    );
  });

  it('`reply-analytics sql` finds the process through its server info', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'sql', 'SELECT 40 + 2', '--format', 'TSV'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dir.path } });
    expect(stdout).toBe('42\n');
  });
});

describe('QUERY_PORT', () => {
  it('in use ends start with config_invalid naming QUERY_PORT, exit code 2', async () => {
    const dir = await tempDir();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const result = await run(process.execPath, [BIN, 'start'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dir.path, PORT: '0', QUERY_PORT: String(port), WEBHOOK_SECRET: 's3cret' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await dir.remove();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`QUERY_PORT/QUERY_HOST: 127\\.0\\.0\\.1:${port} is already in use`));
  });
});
