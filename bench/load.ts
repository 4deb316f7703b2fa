// Runs the load generators as separate processes on the load core and reads their one-line
// JSON answer.
import { spawn } from 'node:child_process';
import type { AutocannonJob, AutocannonResult } from './autocannon-worker.js';
import type { PacedJob, PacedResult } from './paced-worker.js';
import { CORES, loadArgv, pinned } from './processes.js';

async function runWorker<T>(file: string, job: object): Promise<T> {
  const [cmd, ...args] = pinned(CORES.load, loadArgv(file, JSON.stringify(job)));
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-5_000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = out.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`bench/${file} failed (exit ${code}):\n${err}`);
  return JSON.parse(last) as T;
}

/** Closed loop: as many requests as `connections` keep-alive connections can get answered. */
export const autocannon = (job: AutocannonJob) => runWorker<AutocannonResult>('autocannon-worker.ts', job);

/** Open loop at a fixed rate. */
export const paced = (job: PacedJob) => runWorker<PacedResult>('paced-worker.ts', job);
