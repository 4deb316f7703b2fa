// The admin endpoints of a running process: only the admin token opens them (not the query
// token, not none), only on the read API's listener, and the CLI's erase and dead-letter
// commands work through them while the process holds DATA_DIR.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { cli, sendReply } from './cli.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let p: PipelineProcess;
let adminToken: string;

beforeAll(async () => {
  dir = await tempDir();
  p = await startPipeline(dir.path, { ALLOW_UNSIGNED: 'true' });
  adminToken = (await readFile(path.join(dir.path, 'run/admin-token'), 'utf8')).trim();
});
afterAll(async () => {
  p.child.kill('SIGKILL');
  await p.exited;
  await dir.remove();
});

const post = (base: string, route: string, token: string | undefined, body: object = {}) =>
  fetch(`${base}/api/admin/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('admin API', () => {
  it.each(['erase', 'dead-letters/list', 'dead-letters/replay', 'backup'])('%s refuses no token and the query token with 401', async (route) => {
    const body = route === 'erase' ? { conversation: 'c' } : {};
    const none = await post(p.queryUrl, route, undefined, body);
    expect(none.status).toBe(401);
    expect((await none.json()) as unknown).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await post(p.queryUrl, route, await p.token(), body)).status).toBe(401);
  });

  it('is not served on the webhook listener', async () => {
    expect((await post(p.url, 'erase', adminToken, { conversation: 'c' })).status).toBe(404);
  });

  it('the admin token is its own: the query token file differs and is 0600 like it', async () => {
    expect(adminToken).not.toBe(await p.token());
    const { stat } = await import('node:fs/promises');
    expect((await stat(path.join(dir.path, 'run/admin-token'))).mode & 0o077).toBe(0);
  });

  it('refuses bad bodies with 400 admin_invalid', async () => {
    const res = await post(p.queryUrl, 'erase', adminToken, { agent: 'sales' });
    expect(res.status).toBe(400);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'admin_invalid', message: expect.stringContaining('conversation or message') } });
    expect((await post(p.queryUrl, 'dead-letters/list', adminToken, { since: 'yesterday-ish' })).status).toBe(400);
  });

  it('erase through the running process removes the conversation and keeps the rest', async () => {
    for (let i = 0; i < 3; i++) await sendReply(p.url, { conversation_id: 'erase-me', message_id: `e${i}` });
    await sendReply(p.url, { conversation_id: 'keep-me', message_id: 'k0' });
    await waitFor(async () => (await p.query('SELECT count() FROM aksita.human_agent_replies')).trim() === '4', 'the replies to be stored');
    const out = await cli(dir.path, ['erase', '--conversation', 'erase-me', '--yes', '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ erased: { conversation: 'erase-me' }, removed: { human_agent_replies: 3, dead_letters: 0, replies_5m: 1 } });
    expect(await p.query('SELECT groupArray(message_id) FROM aksita.human_agent_replies')).toBe("['k0']\n");
    expect(await p.query('SELECT uniqExactMerge(conversations) FROM aksita.replies_5m')).toBe('1\n');
  });

  it('dead letters are listed and replayed through the running process', async () => {
    const res = await fetch(`${p.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conversation_id: 'dl', message_id: 'dl1' }) });
    expect(res.status).toBe(422);
    await waitFor(async () => (await p.query('SELECT count() FROM aksita.dead_letters')).trim() === '1', 'the dead letter to be stored');
    const list = await cli(dir.path, ['dead-letters', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ agent: 'default', reason_code: 'invalid_payload', conversation_id: 'dl', message_id: 'dl1' });
    const replay = await cli(dir.path, ['dead-letters', 'replay', '--json']);
    expect(JSON.parse(replay.stdout)).toMatchObject({ replayed: 0, stillFailing: { invalid_payload: { count: 1 } } });
  });
});
