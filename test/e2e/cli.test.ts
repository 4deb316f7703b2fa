// The user's path from the README: start, send the documented example signed as openssl
// signed it, read it back with `reply-analytics sql` while running and after shutdown.
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const fixtures = path.join(ROOT, 'test/fixtures/signatures');

async function cli(dataDir: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, QUERY_PORT: '0', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('reply-analytics CLI', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let pipeline: PipelineProcess;

  beforeAll(async () => {
    dir = await tempDir();
    pipeline = await startPipeline(dir.path, { WEBHOOK_SECRET: 's3cr3t' });
  });
  afterAll(async () => {
    pipeline.child.kill('SIGKILL');
    await dir.remove();
  });

  it('the documented example, signed by openssl, is accepted and readable with sql while running', async () => {
    const vectors = JSON.parse(await readFile(path.join(fixtures, 'vectors.json'), 'utf8'));
    const vector = vectors.valid[0];
    const res = await fetch(`${pipeline.url}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': vector.signature, 'user-agent': 'Aksita-Webhook/1.0' },
      body: await readFile(path.join(fixtures, vector.body_file)),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });

    let out = '';
    await waitFor(async () => {
      out = (await cli(dir.path, ['sql', 'SELECT agent, message_id, conversation_id, remaining_credits, signature_status FROM aksita.human_agent_replies', '--format', 'CSV'])).stdout;
      return out !== '';
    }, 'the reply to be queryable');
    expect(out).toBe('"default","2125","2a73ddbe-31cd-4a60-83ff-1fc2a1627ccc",1234,"valid"\n');
  });

  it('the default output is a readable table', async () => {
    const { stdout } = await cli(dir.path, ['sql', 'SELECT message_id FROM aksita.human_agent_replies']);
    expect(stdout).toMatch(/message_id/);
    expect(stdout).toMatch(/│ 2125 +│/);
  });

  it('--out writes the result to a file', async () => {
    const file = path.join(dir.path, 'out.json');
    const { code } = await cli(dir.path, ['sql', 'SELECT message_id FROM aksita.human_agent_replies', '--format', 'JSONEachRow', '--out', file]);
    expect(code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe('{"message_id":"2125"}\n');
  });

  it.each([
    ['in a missing directory', (d: string) => path.join(d, 'no-such-dir', 'out.csv'), 'does not exist; expected a file in an existing directory'],
    ['that is a directory', (d: string) => d, 'is a directory; expected a file name'],
  ])('--out %s is refused with exit code 2 before the query runs, without a stack trace', async (_name, target, message) => {
    const { code, stderr } = await cli(dir.path, ['sql', 'SELECT 1', '--out', target(dir.path)]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a write is refused with exit code 2 and a clear message, and changes nothing', async () => {
    const { code, stderr } = await cli(dir.path, ['sql', 'DROP TABLE aksita.human_agent_replies']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/query_refused.*read-only/);
    expect((await cli(dir.path, ['sql', 'SELECT count() FROM aksita.human_agent_replies', '--format', 'TSV'])).stdout).toBe('1\n');
  });

  it('the query API refuses a wrong token', async () => {
    const res = await fetch(`${pipeline.queryUrl}/api/query`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-token-wrong-token', 'content-type': 'application/json' },
      body: '{"query":"SELECT 1"}',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('a second start on the same DATA_DIR is refused while the first runs', async () => {
    const { code, stderr } = await cli(dir.path, ['start'], { PORT: '0', WEBHOOK_SECRET: 's3cr3t' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/data_dir_locked/);
  });

  it('after SIGTERM (exit 0), sql opens the data directory directly', async () => {
    pipeline.child.kill('SIGTERM');
    expect(await pipeline.exited).toBe(0);
    const { code, stdout } = await cli(dir.path, ['sql', 'SELECT message_id FROM aksita.human_agent_replies', '--format', 'TSV']);
    expect(code).toBe(0);
    expect(stdout).toBe('2125\n');
  });

  it('a bad setting stops start-up with exit code 2, naming the variable and what was expected', async () => {
    const { code, stderr } = await cli(dir.path, ['start'], { PORT: 'eighty' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/PORT="eighty": expected an integer/);
  });

  it.each(['ingest', 'consume'])('%s without KAFKA_BROKERS refuses to start (ingest would otherwise answer every webhook 404)', async (command) => {
    const empty = await tempDir();
    const { code, stderr } = await cli(empty.path, [command], { KAFKA_BROKERS: '', WEBHOOK_SECRET: 's3cr3t', PORT: '0' });
    expect(code).toBe(2);
    expect(stderr).toContain(`KAFKA_BROKERS: expected to be set for \`${command}\``);
    await empty.remove();
  });

  it('sql on a DATA_DIR without data is refused with exit code 2 and creates nothing there', async () => {
    const empty = await tempDir();
    const { code, stderr } = await cli(empty.path, ['sql', 'SELECT count() FROM aksita.human_agent_replies']);
    expect(code).toBe(2);
    expect(stderr).toContain(`DATA_DIR=${empty.path}: holds no data (no ${path.join(empty.path, 'chdb')}); expected the DATA_DIR that reply-analytics start runs with`);
    expect(await readdir(empty.path)).toEqual([]);
    await empty.remove();
  });

  it('an unknown command prints the usage with exit code 2', async () => {
    const { code, stderr } = await cli(dir.path, ['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command "frobnicate"[\s\S]*Usage: reply-analytics/);
  });
});

describe('start-up failures', () => {
  it('a HOST that does not resolve is a configuration error (exit code 2), not a stack trace', async () => {
    const dir = await tempDir();
    const { code, stderr } = await cli(dir.path, ['start'], { HOST: 'not-a-host.invalid', PORT: '0', WEBHOOK_SECRET: 's3cret' });
    expect(stderr).toContain('PORT/HOST: not-a-host.invalid:0 names a host that does not resolve');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(2);
    await dir.remove();
  });

  it('a DATA_DIR that is a file is a configuration error (exit code 2), not a stack trace', async () => {
    const dir = await tempDir();
    const file = path.join(dir.path, 'a-file');
    await writeFile(file, '');
    const { code, stderr } = await cli(file, ['start'], { PORT: '0', WEBHOOK_SECRET: 's3cret' });
    expect(stderr).toContain(`DATA_DIR=${file}: cannot create ${file}/run (ENOTDIR); expected a directory this user can write`);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(2);
    await dir.remove();
  });

  it('a port in use ends start with a clear error and exit code 2, and frees DATA_DIR for the next start', async () => {
    const dir = await tempDir();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    // Without the clean-up after a failed start the consumer thread kept the process alive.
    const first = await cli(dir.path, ['start'], { PORT: String(port), HOST: '127.0.0.1', WEBHOOK_SECRET: 's3cret' });
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(new RegExp(`PORT/HOST: 127\\.0\\.0\\.1:${port} is already in use; expected a free port`));
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    const p = await startPipeline(dir.path, { PORT: String(port), HOST: '127.0.0.1', ALLOW_UNSIGNED: 'true' });
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await dir.remove();
  });
});

describe('npm start', () => {
  it('SIGTERM to npm reaches the pipeline, which shuts down cleanly (the script execs node)', async () => {
    const dir = await tempDir();
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dir.path, PORT: '0', QUERY_PORT: '0', WEBHOOK_SECRET: 's3cr3t' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let pid = 0;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return pid > 0;
      } catch {
        return false;
      }
    };
    try {
      await waitFor(async () => output.includes('"pipeline ready"'), 'the pipeline to start under npm');
      pid = Number(/"pid":(\d+).*"pipeline ready"/.exec(output)?.[1]);
      expect(alive()).toBe(true);
      npm.kill('SIGTERM');
      await waitFor(async () => !alive(), 'the pipeline process to end after npm got SIGTERM');
      expect(output).toContain('"shutting down"');
    } finally {
      // Not left running when this fails.
      if (alive()) process.kill(pid, 'SIGKILL');
      npm.kill('SIGKILL');
      await dir.remove();
    }
  });
});

describe('unsigned mode', () => {
  it.each([{}, { WEBHOOK_AGENTS: '{}' }, { WEBHOOK_SECRET: '' }])('a receiver without a secret refuses to start with exit code 2: %j', async (env) => {
    const dir = await tempDir();
    const { code, stderr } = await cli(dir.path, ['start'], { PORT: '0', WEBHOOK_SECRET: '', WEBHOOK_AGENTS: '', ...env });
    expect(code).toBe(2);
    expect(stderr).toMatch(/WEBHOOK_SECRET, WEBHOOK_AGENTS: expected a secret .* ALLOW_UNSIGNED=true/);
    await dir.remove();
  });

  it('ALLOW_UNSIGNED=true starts and warns that webhooks are accepted unsigned', async () => {
    const dir = await tempDir();
    const p = await startPipeline(dir.path, { WEBHOOK_SECRET: '', ALLOW_UNSIGNED: 'true' });
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/accepting UNSIGNED webhooks/);
    await dir.remove();
  });
});

describe('a process started with QUERY_TOKEN', () => {
  const TOKEN = 'token-from-the-environment-0123';
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let pipeline: PipelineProcess;
  beforeAll(async () => {
    dir = await tempDir();
    pipeline = await startPipeline(dir.path, { QUERY_TOKEN: TOKEN, ALLOW_UNSIGNED: 'true' });
  });
  afterAll(async () => {
    pipeline.child.kill('SIGTERM');
    await pipeline.exited;
    await dir.remove();
  });

  it.each([
    ['sql without QUERY_TOKEN', ['sql', 'SELECT 1'], {}, 'it was started with QUERY_TOKEN and this command has none'],
    ['sql with another QUERY_TOKEN', ['sql', 'SELECT 1'], { QUERY_TOKEN: 'another-token-0123456789' }, 'the QUERY_TOKEN of this command differs'],
    ['report without QUERY_TOKEN', ['report', '--from', '2026-03-05', '--to', '2026-03-05', '--format', 'csv', '--out', '-'], {}, 'it was started with QUERY_TOKEN and this command has none'],
    [
      'report with another QUERY_TOKEN',
      ['report', '--from', '2026-03-05', '--to', '2026-03-05', '--format', 'csv', '--out', '-'],
      { QUERY_TOKEN: 'another-token-0123456789' },
      'the QUERY_TOKEN of this command differs',
    ],
  ])('%s is told to use the same QUERY_TOKEN (exit code 2)', async (_name, args, env, why) => {
    const { code, stderr } = await cli(dir.path, args, env);
    expect(stderr).toContain(`[query_token_refused] The running process (pid ${pipeline.child.pid}) does not take this query token: ${why}. Expected the QUERY_TOKEN it was started with.`);
    expect(code).toBe(2);
  });

  it('sql with the same QUERY_TOKEN answers', async () => {
    const { code, stdout } = await cli(dir.path, ['sql', 'SELECT 40 + 2', '--format', 'TSV'], { QUERY_TOKEN: TOKEN });
    expect({ code, stdout }).toEqual({ code: 0, stdout: '42\n' });
  });
});
