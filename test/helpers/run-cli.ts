// The real CLI as a child process on a DATA_DIR: its exit code and output, whether it succeeded or not.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, ROOT } from './pipeline-process.js';

const run = promisify(execFile);

export async function cli(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, QUERY_PORT: '0', ...env }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
