// What every section gets: the mode, a scratch directory, the shared Kafka broker, and where
// its figures go (table rows for people, keys for --json).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../tools/kafka/broker.js';
import { makeTestCerts } from '../tools/kafka/test-certs.js';
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

/** How a process reaches the shared broker: its plaintext listener, or SASL_SSL with SCRAM-SHA-512. */
export type KafkaTransport = 'plaintext' | 'sasl_ssl';

export interface BenchBroker extends RunningBroker {
  /** KAFKA_BROKERS and the KAFKA_SSL_* / KAFKA_SASL_* variables a process needs for `transport`. */
  env(transport: KafkaTransport): Record<string, string>;
}

const SCRAM_USER = { mechanism: 'SCRAM-SHA-512' as const, name: 'bench', password: 'bench-scram-secret' };

export interface BenchContext {
  quick: boolean;
  /** Directory for data dirs and broker files; removed at the end. */
  scratch: string;
  rows: Row[];
  json: Record<string, unknown>;
  notes: string[];
  /**
   * Started on first use, stopped by close(). One broker with a PLAINTEXT listener (`bootstrap`)
   * and a SASL_SSL one (SCRAM-SHA-512, certificates made by openssl), so both transports are
   * compared on the same broker in the same run.
   */
  broker(): Promise<BenchBroker>;
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
  let broker: Promise<BenchBroker> | undefined;
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
      (broker ??= (async () => {
        const certDir = path.join(scratch, 'kafka-certs');
        await mkdir(certDir, { recursive: true });
        const certs = makeTestCerts(certDir);
        const b = await startBroker({ dataDir: path.join(scratch, 'kafka'), secure: { certs, plainUsers: {}, scramUsers: [SCRAM_USER] } });
        // Off the server core: the receiver is measured on a core of its own, as in (a) and (b);
        // the load generator needs well under half of its core at the Kafka receiver's rates.
        pinProcess(b.pid, CORES.load);
        track(b.pid);
        const env = (transport: KafkaTransport): Record<string, string> =>
          transport === 'plaintext'
            ? { KAFKA_BROKERS: b.bootstrap }
            : {
                KAFKA_BROKERS: `127.0.0.1:${b.securePorts!.saslSsl}`,
                KAFKA_SSL: 'true',
                KAFKA_SSL_CA_FILE: certs.caFile,
                KAFKA_SASL_MECHANISM: 'scram-sha-512',
                KAFKA_SASL_USERNAME: SCRAM_USER.name,
                KAFKA_SASL_PASSWORD: SCRAM_USER.password,
              };
        return Object.assign(b, { env });
      })()),
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
