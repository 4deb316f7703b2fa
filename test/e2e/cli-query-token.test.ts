// A process started with QUERY_TOKEN: `sql` and `report` must bring the same token, and are told
// so when they do not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type PipelineProcess } from '../helpers/pipeline-process.js';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

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
