// Runs the load generators as separate processes on the load core and reads their one-line
// JSON answer.
import type { AutocannonJob, AutocannonResult } from './autocannon-worker.js';
import type { PacedJob, PacedResult } from './paced-worker.js';
import { CORES, loadArgv, pinned, runJsonWorker } from './processes.js';

const runWorker = <T>(file: string, job: object): Promise<T> => runJsonWorker<T>(pinned(CORES.load, loadArgv(file, JSON.stringify(job))), `bench/${file}`);

/** Closed loop: as many requests as `connections` keep-alive connections can get answered. */
export const autocannon = (job: AutocannonJob) => runWorker<AutocannonResult>('autocannon-worker.ts', job);

/** Open loop at a fixed rate. */
export const paced = (job: PacedJob) => runWorker<PacedResult>('paced-worker.ts', job);
