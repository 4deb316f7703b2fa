// A restart right after `kill -9`, while the killed process still shows in the process table
// (not yet reaped by its parent), takes DATA_DIR over instead of failing with data_dir_locked,
// and a lock whose pid now belongs to another process is no obstacle either.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePayload, sign } from '../helpers/sign.js';
import { BIN, ROOT, startPipeline, waitFor } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'restart-secret';

async function send(url: string): Promise<{ status: number; id: string }> {
  const payload = samplePayload();
  const body = JSON.stringify(payload);
  const res = await fetch(`${url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) }, body });
  await res.arrayBuffer();
  return { status: res.status, id: String(payload.message_id) };
}

/**
 * Starts the pipeline as the child of a shell that then becomes `sleep`, which never reaps it:
 * once killed, the pipeline stays a zombie for as long as this parent lives.
 */
async function startUnreaped(dataDir: string): Promise<{ parent: ChildProcess; pid: number; url: string }> {
  const parent = spawn('sh', ['-c', '"$0" "$@" & exec sleep 600', process.execPath, BIN, 'start'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', QUERY_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', WEBHOOK_SECRET: SECRET, BATCH_MAX_WAIT_MS: '20' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ pid: number; url: string }>((resolve, reject) => {
    readline.createInterface({ input: parent.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string; pid?: number };
      if (entry.msg === 'pipeline ready' && entry.url && entry.pid) resolve({ pid: entry.pid, url: entry.url });
    });
    parent.on('exit', () => reject(new Error('the shell ended before the pipeline was ready')));
  });
  return { parent, ...ready };
}

const stateOf = async (pid: number) => {
  const raw = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return raw.slice(raw.lastIndexOf(')') + 2).split(' ')[0];
};

describe('restart right after kill -9', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await tempDir('restart-after-kill-');
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await dir.remove();
  });

  it('succeeds while the killed process is still a zombie, and keeps every acknowledged reply', async () => {
    const first = await startUnreaped(dir.path);
    children.push(first.parent);
    const acked: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await send(first.url);
      expect(r.status).toBe(200);
      acked.push(r.id);
    }
    process.kill(first.pid, 'SIGKILL');
    await waitFor(async () => (await stateOf(first.pid)) === 'Z', 'the killed pipeline to be a zombie');

    const second = await startPipeline(dir.path, { WEBHOOK_SECRET: SECRET, BATCH_MAX_WAIT_MS: '20' });
    children.push(second.child);
    // The zombie is still there: the restart did not wait for it to go away.
    expect(await stateOf(first.pid)).toBe('Z');
    await waitFor(async () => {
      const ids = (await second.query('SELECT message_id FROM aksita.human_agent_replies')).split('\n').filter(Boolean);
      return acked.every((id) => ids.includes(id));
    }, 'the acknowledged replies to be stored');
    const [total] = (await second.query('SELECT count() FROM aksita.human_agent_replies')).split('\n');
    expect(Number(total)).toBe(acked.length);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('start waits, saying so once, while the holder of the lock is still running, and goes on once it ends', async () => {
    const holder = spawn('sleep', ['600']);
    children.push(holder);
    await waitFor(async () => (await readFile(`/proc/${holder.pid}/stat`, 'utf8')).length > 0, 'sleep to start');
    const startTime = (await readFile(`/proc/${holder.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[19];
    const dataDir = path.join(dir.path, 'held');
    await mkdir(path.join(dataDir, 'run'), { recursive: true });
    await writeFile(path.join(dataDir, 'run', 'server.lock'), `${holder.pid} ${startTime}`);
    const child = spawn(process.execPath, [BIN, 'start'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', QUERY_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', WEBHOOK_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const { msg } = JSON.parse(line) as { msg: string };
        messages.push(msg);
        // The holder ends only once start has said it waits for it.
        if (msg.includes('waiting up to')) holder.kill('SIGKILL');
        if (msg === 'pipeline ready') resolve();
      });
      child.on('exit', (code) => reject(new Error(`start exited (${code}) before it was ready: ${messages.join(' | ')}`)));
    });
    expect(messages.filter((m) => m.includes(`held by process ${holder.pid}`))).toHaveLength(1);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('a lock left with a pid that another process now has (a different start time) is taken over', async () => {
    const other = spawn('sleep', ['600']);
    children.push(other);
    const dataDir = path.join(dir.path, 'reused');
    await mkdir(path.join(dataDir, 'run'), { recursive: true });
    // Start time 1 (clock ticks after boot): not when `sleep` started.
    await writeFile(path.join(dataDir, 'run', 'server.lock'), `${other.pid} 1`);
    const p = await startPipeline(dataDir, { WEBHOOK_SECRET: SECRET });
    children.push(p.child);
    expect(p.output()).not.toContain('waiting up to');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
