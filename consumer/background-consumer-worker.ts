// The consumer thread: an EmbeddedConsumer reading the log through a LogFollower and storing
// through its own store. See background-consumer.ts for why it is a thread and how it talks.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { LogFollower } from '../queue/log-follower.js';
import { openStore } from '../store/open-store.js';
import type { ConsumerWorkerData, FromConsumerWorker, SerializedError, ToConsumerWorker } from './background-consumer.js';
import { relayedMetrics } from './consumer-metrics.js';
import { EmbeddedConsumer } from './embedded-consumer.js';

// Linux's lowest priority, as the engine's own insert threads get (store/chdb-store.ts).
const NICENESS = 19;

const port = parentPort!;
const data = workerData as ConsumerWorkerData;
const relay = relayedMetrics((calls) => port.postMessage({ type: 'metrics', calls } satisfies FromConsumerWorker));
// Metrics recorded before a message travel before it (a stored batch's backlog before its announcement).
const post = (message: FromConsumerWorker) => {
  relay.flush();
  port.postMessage(message);
};
const serialize = (err: unknown): SerializedError => {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, stack: e.stack, ...(typeof code === 'string' ? { code } : {}) };
};

lowerThreadPriority();

// Whatever goes wrong, the thread must not end (see background-consumer.ts): report and park.
process.on('uncaughtException', (err) => post({ type: 'error', error: serialize(err), fatal: true }));
process.on('unhandledRejection', (err) => post({ type: 'error', error: serialize(err), fatal: true }));

const follower = new LogFollower(
  data.handOff,
  (seq) => post({ type: 'commit', seq }),
  (after) => post({ type: 'want-extent', after }),
);
// Resolves to the function that stops the consumer, once it runs (undefined if it could not start).
const started = start();
port.on('message', (message: ToConsumerWorker) => {
  switch (message.type) {
    case 'extent':
      return follower.update(message.extent);
    case 'committed':
      return follower.committed(message.seq);
    case 'commit-failed':
      return follower.commitFailed(message.seq, message.message);
    case 'stop':
      // A stop that comes during start-up waits for it: the store must not be left half open.
      void started
        .then((stop) => stop?.(message.drainTo))
        .catch((err: unknown) => post({ type: 'error', error: serialize(err), fatal: true }))
        .finally(() => post({ type: 'stopped' }));
  }
});

async function start(): Promise<((drainTo: number) => Promise<void>) | undefined> {
  try {
    const store = await openStore(data.store);
    const consumer = new EmbeddedConsumer({
      log: follower,
      store,
      queueName: data.queueName,
      maxRows: data.maxRows,
      maxWaitMs: data.maxWaitMs,
      metrics: relay.metrics,
      // A failure the consumer retries, or (once it is unhealthy) the one that stopped it.
      onError: (err) => post({ type: 'error', error: serialize(err), fatal: !consumer.healthy }),
      onBatch: (rows) => post({ type: 'batch', rows }),
    });
    consumer.start();
    return async (drainTo) => {
      await consumer.stop(drainTo);
      await follower.close();
      await store.close();
    };
  } catch (err) {
    post({ type: 'error', error: serialize(err), fatal: true });
    return undefined;
  }
}

/** Lowers this thread (and the threads it starts) to the lowest CPU priority, on Linux. */
function lowerThreadPriority(): void {
  try {
    // On Linux a thread's id is a process id for setpriority, which then applies to that
    // thread alone; /proc/thread-self names it.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    setPriority(tid, NICENESS);
  } catch {
    // Elsewhere the consumer runs at normal priority.
  }
}
