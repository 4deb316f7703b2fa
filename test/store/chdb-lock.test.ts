// chDB locks its data directory to one process. A `sql` or `report` command that opened it
// directly (no server running) must not make a server that starts meanwhile fail: the server
// waits for the directory, and the command waits for a server that holds DATA_DIR but is still
// opening the store, rather than racing it for chDB's lock.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { awaitRunningServer } from '../../core/run-files.js';
import { ChdbStore } from '../../store/chdb-store.js';
import { ROOT } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Another process that holds DATA_DIR/chdb until told to let go (a line on its stdin). */
async function holder(dataDir: string) {
  const script = `
    const { Session } = require('chdb');
    const s = new Session(${JSON.stringify(path.join(dataDir, 'chdb'))});
    s.query('SELECT 1');
    console.log('held');
    process.stdin.once('data', () => { s.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
  });
  return { release: () => child.stdin.write('go\n'), exited: new Promise((resolve) => child.once('exit', resolve)), kill: () => child.kill('SIGKILL') };
}

describe("chDB's directory lock between processes", () => {
  it('opening waits while another process holds the directory, and succeeds once it lets go', async () => {
    const dir = await tempDir();
    const other = await holder(dir.path);
    try {
      // The other process lets go only once opening has found the directory held and waits.
      let waited = 0;
      const store = await ChdbStore.open(dir.path, { onWait: () => (waited++, other.release()) });
      expect(waited).toBe(1);
      expect((await store.query('SELECT 42', { format: 'TSV' })).toString()).toBe('42\n');
      await store.close();
    } finally {
      other.kill();
      await dir.remove();
    }
  });

  it('a command finds a server that holds DATA_DIR but has not written where it listens yet', async () => {
    const dir = await tempDir();
    const starting = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await mkdir(path.join(dir.path, 'run'), { recursive: true });
      await writeFile(path.join(dir.path, 'run', 'server.lock'), String(starting.pid));
      const info = { pid: starting.pid!, url: 'http://127.0.0.1:1', startedAt: new Date().toISOString() };
      setTimeout(() => void writeFile(path.join(dir.path, 'run', 'server.json'), JSON.stringify(info)), 300);
      expect(await awaitRunningServer(dir.path)).toEqual(info);
    } finally {
      starting.kill('SIGKILL');
      await dir.remove();
    }
  });

  it('without a server lock, or with one left by a process that is gone, a command opens the store itself', async () => {
    const dir = await tempDir();
    expect(await awaitRunningServer(dir.path)).toBeUndefined();
    await mkdir(path.join(dir.path, 'run'), { recursive: true });
    await writeFile(path.join(dir.path, 'run', 'server.lock'), '999999999');
    expect(await awaitRunningServer(dir.path)).toBeUndefined();
    await dir.remove();
  });
});
