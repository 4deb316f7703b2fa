// Server processes for the benchmarks: spawned the way a user starts them, pinned to a core
// when taskset exists, ready when they log 'pipeline ready' (as test/helpers/pipeline-process.ts
// reads it), and stopped by their own pid only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { track, untrack } from './contention.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BIN = path.join(ROOT, 'bin/reply-analytics.js');

export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Core plan on a 2-core machine: servers on core 0, load generators and this orchestrator on
 * core 1. With one core, or without taskset, nothing is pinned and the report says so.
 */
export const CORES = { server: 0, load: 1 } as const;
export const pinning = hasTaskset && os.cpus().length >= 2;

/**
 * The command line that runs `argv` on `core`, or on every core with 'all' (unchanged when
 * pinning is off). 'all' matters: a child inherits its parent's affinity, and this orchestrator
 * runs pinned to the load core, so a child meant to have the whole machine must say so.
 */
export function pinned(core: number | 'all' | undefined, argv: string[]): string[] {
  if (!pinning || core === undefined) return argv;
  return ['taskset', '-c', core === 'all' ? `0-${os.cpus().length - 1}` : String(core), ...argv];
}

/**
 * Runs a worker process (argv as from pinned()) to its end and returns the JSON of the last line
 * it printed; a failure names `label` and ends with the worker's stderr.
 */
export async function runJsonWorker<T>(argv: string[], label: string): Promise<T> {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-5_000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = out.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`${label} failed (exit ${code}):\n${err}`);
  return JSON.parse(last) as T;
}

/** Moves a running process (all its threads) to `core`. */
export function pinProcess(pid: number, core: number): void {
  if (pinning) execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

export interface ServerProcess {
  url: string;
  /** The read API and /metrics. */
  queryUrl: string;
  pid: number;
  child: ChildProcess;
  /** Milliseconds from spawn until the ready line. */
  readyAfterMs: number;
  output(): string;
  /** Freezes the process (SIGSTOP), so its background work (merges, timers) cannot disturb another server's run. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  argv: string[];
  env?: Record<string, string>;
  core?: number;
  timeoutMs?: number;
}

export async function spawnServer(opts: SpawnOptions): Promise<ServerProcess> {
  const [cmd, ...args] = pinned(opts.core, opts.argv);
  const started = performance.now();
  const child = spawn(cmd!, args, {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', QUERY_PORT: '0', LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(String(code ?? signal))));
  track(child.pid!);
  void exited.then(() => untrack(child.pid!));
  let readyAfterMs = 0;
  const { url, queryUrl } = await new Promise<{ url: string; queryUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.argv.join(' ')} not ready after ${opts.timeoutMs ?? 60_000} ms:\n${output}`)), opts.timeoutMs ?? 60_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      output = (output + line + '\n').slice(-20_000);
      let entry: { msg?: string; url?: string; queryUrl?: string } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.msg === 'pipeline ready' && entry.url && entry.queryUrl) {
        readyAfterMs = performance.now() - started;
        clearTimeout(timer);
        resolve({ url: entry.url, queryUrl: entry.queryUrl });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.argv.join(' ')} exited (${code}) before it was ready:\n${output}`));
    });
  });
  return {
    url,
    queryUrl,
    pid: child.pid!,
    child,
    readyAfterMs,
    output: () => output,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT'); // a stopped process would hold SIGTERM until continued
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// Node flags for the measured processes (servers and the consumer and query workers, never the
// load generators). --cpu-prof is refused in NODE_OPTIONS, so it goes on the command line.
const measuredFlags: string[] = [];
export function profileInto(dir: string): void {
  measuredFlags.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
}

/** `reply-analytics <command>` (what `npm start` runs for `start`). */
export const cliArgv = (command: string): string[] => [process.execPath, ...measuredFlags, BIN, command];
/** A measured TypeScript file of bench/, run through tsx as the CLI itself is. */
export const tsArgv = (file: string, ...args: string[]): string[] => [process.execPath, ...measuredFlags, '--import', 'tsx', path.join(ROOT, 'bench', file), ...args];
/** A load generator of bench/ (never profiled). */
export const loadArgv = (file: string, ...args: string[]): string[] => [process.execPath, '--import', 'tsx', path.join(ROOT, 'bench', file), ...args];

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return kb * 1024;
}

/** The query token a pipeline process wrote into its data dir. */
export const queryToken = (dataDir: string): string => readFileSync(path.join(dataDir, 'run/query-token'), 'utf8').trim();

/** Reads one gauge or counter value (summed over labels) from a /metrics page. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && /[\s{]/.test(line[name.length] ?? '')) sum += Number(line.split(' ').at(-1));
  return sum;
}
