// The real CLI as a child process, and webhooks sent to a running pipeline, for test/ops.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, ROOT } from '../helpers/pipeline-process.js';
import { samplePayload } from '../helpers/sign.js';

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

/** Posts one unsigned webhook (ALLOW_UNSIGNED=true) and expects it accepted. */
export async function sendReply(url: string, overrides: Record<string, unknown>, agent?: string): Promise<void> {
  const res = await fetch(`${url}/webhook${agent ? `/${agent}` : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(samplePayload(overrides)) });
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
}
