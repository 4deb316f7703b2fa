// vitest globalSetup: one real Kafka broker for the whole test run.
// Tests read its address with `inject('kafkaBrokers')`.
// If KAFKA_BROKERS is set (an already running broker), that is used instead.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startBroker } from './broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap servers, e.g. "127.0.0.1:39092". */
    kafkaBrokers: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    project.provide('kafkaBrokers', external);
    return async () => undefined;
  }

  const started = Date.now();
  let dataDir = '';
  let broker;
  // Two tries, each in a fresh directory: one JVM that fails to start must not fail the whole
  // run; two in a row is a real problem. (What failed here once in 64 starts, a cluster id that
  // began with "-", is fixed in broker.ts.)
  for (let attempt = 1; !broker; attempt++) {
    dataDir = await mkdtemp(join(tmpdir(), 'aksita-kafka-test-'));
    try {
      broker = await startBroker({ dataDir });
    } catch (err) {
      // Keep dataDir: broker.log in it is what explains the failure.
      const why = `Kafka test broker failed to start (data kept in ${dataDir}): ${err instanceof Error ? err.message : String(err)}`;
      if (attempt === 2) throw new Error(why, { cause: err });
      console.log(`[kafka] ${why}\n[kafka] trying once more`);
    }
  }
  // One line so CI logs show how long the broker took (and where its log is).
  console.log(`[kafka] broker ${broker.bootstrap} ready in ${Date.now() - started} ms (log: ${broker.logFile})`);
  project.provide('kafkaBrokers', broker.bootstrap);

  return async () => {
    await broker.stop();
    // Throwaway data; the log is only kept when startup failed (above).
    await rm(dataDir, { recursive: true, force: true });
  };
}
