// What every section gets: the mode, a scratch directory, the shared Kafka broker, and where
// its figures go (table rows for people, keys for --json).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../tools/kafka/broker.js';
import { awaitQuiet, track, untrack, watch } from './contention.js';
import { CORES, pinProcess } from './processes.js';
import type { Figure } from './stats.js';

export interface Row {
  section: string;
  measure: string;
  unit: string;
  figure: Figure;
  /** e.g. "≥ 0.60"; `met` says whether the median meets it. */
  target?: { text: string; met: boolean };
}

export interface BenchContext {
  quick: boolean;
  /** Directory for data dirs and broker files; removed at the end. */
  scratch: string;
  rows: Row[];
  json: Record<string, unknown>;
  notes: string[];
  /** Started on first use, stopped by close(). */
  broker(): Promise<RunningBroker>;
  /** Figures later sections need (e.g. the embedded receiver's max rate). */
  shared: { embeddedMaxRps?: number };
  log(message: string): void;
  /**
   * Runs one measured run after waiting (bounded) for the machine to be quiet; a run that other
   * processes disturbed is named in the notes.
   */
  measure<T>(label: string, run: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createContext(opts: { quick: boolean }): Promise<BenchContext> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'aksita-bench-'));
  let broker: Promise<RunningBroker> | undefined;
  const started = performance.now();
  const notes: string[] = [];
  return {
    quick: opts.quick,
    scratch,
    rows: [],
    json: {},
    notes,
    shared: {},
    broker: () =>
      (broker ??= startBroker({ dataDir: path.join(scratch, 'kafka') }).then((b) => {
        // Off the server core: the receiver is measured on a core of its own, as in (a) and (b);
        // the load generator needs well under half of its core at the Kafka receiver's rates.
        pinProcess(b.pid, CORES.load);
        track(b.pid);
        return b;
      })),
    log: (message) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`),
    async measure(label, run) {
      const before = await awaitQuiet(opts.quick ? 3_000 : 60_000);
      const w = watch();
      const result = await run();
      const during = w.stop();
      if (during > 0.1) {
        const pct = (x: number) => `${Math.round(x * 100)}%`;
        notes.push(`${label}: other processes used ${pct(during)} of the machine's CPU during the run (${pct(before)} just before it).`);
      }
      return result;
    },
    async close() {
      if (broker) {
        const b = await broker;
        await b.stop();
        untrack(b.pid);
      }
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
