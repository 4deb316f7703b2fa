// Child process: an open-loop load generator at a fixed rate. autocannon's own rate limit is a
// per-second quota (each connection sends flat out until its quota is used, then idles until
// the next second), which measures bursts at full speed rather than a steady rate; this sends
// request i at t0 + i/rate on whichever keep-alive connection is free and times each response
// from its scheduled send time, so a server that falls behind shows as latency (no coordinated
// omission). Requests are built and signed as they are sent: every message id is new.
import net from 'node:net';
import { rawRequest, signedRequest } from './payloads.js';

export interface PacedJob {
  url: string;
  path: string;
  rate: number;
  warmupS: number;
  durationS: number;
  prefix: string;
  secret?: string;
  maxConnections: number;
  /** Report each 2xx's message id and wall-clock time (for freshness). */
  recordAcks?: boolean;
}

export interface PacedResult {
  /** Requests scheduled in the measured window, and how many got a 2xx. */
  sent: number;
  ok: number;
  failed: number;
  /** Failures by HTTP status (0 = connection error or no answer within 10 s of the end). */
  failures: Record<string, number>;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  connections: number;
  acks?: [string, number][];
}

interface Conn {
  socket: net.Socket;
  inFlight: { index: number; scheduled: number } | undefined;
  buf: Buffer;
}

const job = JSON.parse(process.argv[2]!) as PacedJob;
const { hostname, port } = new URL(job.url);
const host = `${hostname}:${port}`;
const total = Math.round(job.rate * (job.warmupS + job.durationS));
const measuredFrom = Math.round(job.rate * job.warmupS);
const latencies = new Float64Array(total - measuredFrom).fill(Number.NaN);
const acks: [string, number][] = [];
const idle: Conn[] = [];
const conns: Conn[] = [];
const queue: { index: number; scheduled: number }[] = [];
let ok = 0;
let failed = 0;
const failures: Record<string, number> = {};
let done = 0;
let next = 0;

function send(conn: Conn, item: { index: number; scheduled: number }): void {
  conn.inFlight = item;
  conn.socket.write(rawRequest(signedRequest(job, item.index), host, job.path));
}

function finish(conn: Conn, status: number): void {
  const item = conn.inFlight!;
  conn.inFlight = undefined;
  done += 1;
  const measured = item.index >= measuredFrom;
  if (status >= 200 && status < 300) {
    if (measured) {
      ok += 1;
      latencies[item.index - measuredFrom] = performance.now() - item.scheduled;
      if (job.recordAcks) acks.push([`${job.prefix}-${item.index}`, Date.now()]);
    }
  } else if (measured) {
    failed += 1;
    failures[status] = (failures[status] ?? 0) + 1;
  }
  const waiting = queue.shift();
  if (waiting) send(conn, waiting);
  else idle.push(conn);
}

function onData(conn: Conn, chunk: Buffer): void {
  conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
  for (;;) {
    const headEnd = conn.buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = conn.buf.subarray(0, headEnd).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (conn.buf.length < headEnd + 4 + length) return;
    conn.buf = conn.buf.subarray(headEnd + 4 + length);
    finish(conn, Number(head.slice(9, 12)));
  }
}

function open(): Conn {
  const conn: Conn = { socket: net.connect(Number(port), hostname), inFlight: undefined, buf: Buffer.alloc(0) };
  conn.socket.setNoDelay(true);
  conn.socket.on('data', (chunk: Buffer) => onData(conn, chunk));
  conn.socket.on('error', () => {
    if (conn.inFlight) finish(conn, 0);
    idle.splice(idle.indexOf(conn) >>> 0, 1);
    conns.splice(conns.indexOf(conn) >>> 0, 1);
  });
  conns.push(conn);
  return conn;
}

// Open a few connections up front so connection set-up is not timed as latency.
for (let i = 0; i < Math.min(8, job.maxConnections); i++) idle.push(open());
await new Promise((r) => setTimeout(r, 200));

const t0 = performance.now();
const interval = 1000 / job.rate;
await new Promise<void>((resolve) => {
  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
    for (; next < due; next++) {
      const item = { index: next, scheduled: t0 + next * interval };
      const conn = idle.pop() ?? (conns.length < job.maxConnections ? open() : undefined);
      if (conn) send(conn, item);
      else queue.push(item);
    }
    if (next < total) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
// Give stragglers 10 s; anything still unanswered counts as failed.
const deadline = performance.now() + 10_000;
while (done < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
if (total > done) {
  failed += total - done;
  failures[0] = (failures[0] ?? 0) + total - done;
}
for (const c of conns) c.socket.destroy();

const measured = latencies.filter((x) => !Number.isNaN(x)).sort();
const at = (p: number) => measured[Math.max(0, Math.ceil((p / 100) * measured.length) - 1)] ?? Number.NaN;
const result: PacedResult = {
  sent: total - measuredFrom,
  ok,
  failed,
  failures,
  p50Ms: at(50),
  p90Ms: at(90),
  p99Ms: at(99),
  maxMs: measured.at(-1) ?? Number.NaN,
  connections: conns.length,
  ...(job.recordAcks ? { acks } : {}),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
