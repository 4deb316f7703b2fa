// Child process: drives one closed-loop autocannon run and prints its figures as one JSON line.
// Runs apart from the orchestrator and pinned to its own core (see load.ts), so the load
// generator never competes with the server it measures.
//
// Every request carries a new message id, so every body is different and separately signed.
// autocannon's way to vary requests (setupRequest) re-assembles each request from objects,
// which on the one load core capped the generator below what bare fastify answers (measured:
// 14k-33k req/s against 30k with a fixed body). So the complete request bytes are built before
// the clock starts and handed to autocannon's connections as they are, through the one internal
// hook it has for "the next request's bytes" (RequestIterator#rebuildRequest).
import { createRequire } from 'node:module';
import { rawRequest, signedRequest } from './payloads.js';

export interface AutocannonJob {
  url: string;
  path: string;
  connections: number;
  durationS: number;
  /** Requests built before the clock starts; past them, requests are built as they are sent. */
  poolSize: number;
  prefix: string;
  secret?: string;
}

export interface AutocannonResult {
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
  /** Requests built during the run because the pool ran out (slows the generator). */
  builtLate: number;
}

// Only what this file uses of autocannon's (untyped) API.
interface Result {
  requests: { total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<Result>;
interface IteratorProto {
  rebuildRequest?: (this: { currentRequest: { requestBuffer?: Buffer }; resetted: boolean }) => Buffer;
}

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;
const iterator = require('autocannon/lib/requestIterator.js') as { prototype: IteratorProto };
if (typeof iterator.prototype.rebuildRequest !== 'function') {
  throw new Error('autocannon changed: RequestIterator#rebuildRequest is gone; update bench/autocannon-worker.ts');
}

const job = JSON.parse(process.argv[2]!) as AutocannonJob;
const host = new URL(job.url).host;
const build = (i: number) => rawRequest(signedRequest(job, i), host, job.path);
const pool = Array.from({ length: job.poolSize }, (_, i) => build(i));
let next = 0;
let builtLate = 0;
iterator.prototype.rebuildRequest = function () {
  const i = next++;
  const bytes = pool[i] ?? (builtLate++, build(i));
  pool[i] = undefined as unknown as Buffer; // sent once; let it go
  this.resetted = false;
  this.currentRequest.requestBuffer = bytes;
  return bytes;
};

const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationS,
  // A setupRequest makes autocannon ask for fresh bytes for every request (our hook above).
  requests: [{ method: 'POST', path: job.path, setupRequest: (r: unknown) => r }],
});
const out: AutocannonResult = {
  requestsPerS: result.requests.total / result.duration,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
  total: result.requests.total,
  builtLate,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
