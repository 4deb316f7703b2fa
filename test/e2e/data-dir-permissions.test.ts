// What a real process writes under DATA_DIR is its owner's alone, even when started under the
// usual umask: replies are customer conversations.
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePayload, sign } from '../helpers/sign.js';
import { BIN, ROOT, startPipeline, waitFor } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'perm-secret';
const run = promisify(execFile);

async function startFails(dataDir: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [BIN, 'start'], {
      cwd: ROOT,
      timeout: 30_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', QUERY_PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: SECRET },
    });
  } catch (err) {
    return err as { code: number; stderr: string };
  }
  throw new Error('start did not fail');
}

const modeOf = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);

describe('DATA_DIR permissions', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let previousUmask: number;

  beforeAll(async () => {
    dir = await tempDir('data-dir-perms-');
    // What a shell usually has: files 644, directories 755, unless the process says otherwise.
    previousUmask = process.umask(0o022);
  });
  afterAll(async () => {
    process.umask(previousUmask);
    await dir.remove();
  });

  it('a new DATA_DIR is 0700 and everything written in it (log, position, run files, chDB parts) 0600', async () => {
    const dataDir = path.join(dir.path, 'fresh', 'data');
    const p = await startPipeline(dataDir, { WEBHOOK_SECRET: SECRET, BATCH_MAX_WAIT_MS: '20' });
    const body = JSON.stringify(samplePayload());
    const res = await fetch(`${p.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, SECRET) }, body });
    expect(res.status).toBe(200);
    await waitFor(async () => (await p.query('SELECT count() FROM aksita.human_agent_replies')).trim() === '1', 'the reply to be stored');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);

    const listing = execFileSync('find', [dataDir, '-printf', '%y %m %p\\n'], { encoding: 'utf8' }).trim().split('\n');
    const files = listing.filter((l) => l.startsWith('f '));
    // The kinds of file the README promises to keep private are all there to be checked.
    for (const name of ['.seg', 'consumer.pos', 'query-token', 'log-id', '.bin'])
      expect(
        files.some((l) => l.includes(name)),
        name,
      ).toBe(true);
    expect(listing.filter((l) => l.startsWith('d ') && !l.startsWith('d 700 '))).toEqual([]);
    expect(files.filter((l) => !l.startsWith('f 600 '))).toEqual([]);
  });

  it('an existing DATA_DIR open to others is tightened to 0700 and says so; a token file others can read is refused', async () => {
    const dataDir = path.join(dir.path, 'existing');
    await mkdir(path.join(dataDir, 'run'), { recursive: true });
    await chmod(dataDir, 0o755);
    const tokenFile = path.join(dataDir, 'run', 'query-token');
    await writeFile(tokenFile, 'an-old-token-that-others-could-read');
    await chmod(tokenFile, 0o644);

    const refused = await startFails(dataDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('config_invalid');
    expect(refused.stderr).toContain(tokenFile);
    expect(refused.stderr).toContain(`chmod 600 ${tokenFile}`);

    await chmod(tokenFile, 0o600);
    await chmod(dataDir, 0o755);
    const p = await startPipeline(dataDir, { WEBHOOK_SECRET: SECRET });
    expect(p.output()).toMatch(/DATA_DIR was readable by group or others \(mode 755\): changed it to 700/);
    expect(await modeOf(dataDir)).toBe('700');
    expect(await p.token()).toBe('an-old-token-that-others-could-read');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
