// How `start` fails: a bad host, a DATA_DIR that is a file, a port in use and a receiver without a
// secret end it with exit code 2 and a clear message; SIGTERM through `npm start` ends it cleanly.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startPipeline, waitFor } from '../helpers/pipeline-process.js';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

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
