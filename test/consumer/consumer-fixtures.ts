// What the embedded-consumer tests share: envelopes of sample payloads, a migrated chDB store for
// the file, a new log per test, and running a consumer until its log is fully committed.
import { afterAll, beforeAll } from 'vitest';
import type { EmbeddedConsumer } from '../../consumer/embedded-consumer.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import type { Envelope } from '../../queue/envelope.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';
import { samplePayload } from '../helpers/sign.js';

export const envelope = (payload: Record<string, unknown> = samplePayload()): Envelope => ({
  body: Buffer.from(JSON.stringify(payload)),
  key: String(payload.conversation_id),
  agent: 'default',
  receivedAtMs: Date.now(),
  signature: 'valid',
});

/** For a describe block: its store (handed to `onOpen` once open) and logs in the store's directory. */
export function embeddedConsumerSetup(onOpen: (store: ChdbStore) => void) {
  let db: MigratedStore;
  let n = 0;

  beforeAll(async () => {
    db = await openMigratedStore();
    onOpen(db.store);
  });
  afterAll(async () => {
    await db.close();
  });

  const dirs = new WeakMap<EmbeddedLog, string>();
  const logDir = (log: EmbeddedLog) => dirs.get(log)!;
  const openLog = async (path: string) => {
    const log = await EmbeddedLog.open({ dir: path });
    dirs.set(log, path);
    return log;
  };
  // Each log is a new incarnation starting at offset 0, as after deleting a queue directory.
  const freshLog = async () => openLog(`${db.dir}/log-${++n}`);
  const count = async (where = '1') => Number((await db.store.query(`SELECT count() FROM aksita.human_agent_replies WHERE ${where}`, { format: 'TSV' })).toString().trim());
  /** Runs the consumer until the log is fully committed. */
  async function drain(log: EmbeddedLog, consumer: EmbeddedConsumer): Promise<void> {
    consumer.start();
    while (log.committed < log.end) await new Promise<void>((resolve) => setImmediate(resolve));
    await consumer.stop();
  }
  return { logDir, openLog, freshLog, count, drain };
}
