// The user's path from the README: start, send the documented example signed as openssl
// signed it, read it back with `reply-analytics sql` while running and after shutdown.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startPipeline, waitFor, type PipelineProcess } from '../helpers/pipeline-process.js';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const fixtures = path.join(ROOT, 'test/fixtures/signatures');

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
