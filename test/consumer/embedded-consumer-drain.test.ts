// stop(drainTo) on a real embedded log and real chDB: the consumer stores and commits every
// record up to the given position before it stops, not only the batch it was holding.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmbeddedConsumer } from '../../consumer/embedded-consumer.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { embeddedQueueName } from '../../queue/log-identity.js';
import type { Envelope } from '../../queue/envelope.js';
import type { Store } from '../../store/store.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';
import { samplePayload } from '../helpers/sign.js';

let db: MigratedStore;
beforeAll(async () => {
  db = await openMigratedStore('consumer-drain-');
});
afterAll(async () => {
  await db.close();
});

const envelope = (tag: string): Envelope => {
  const payload = samplePayload({ additional_context: tag });
  return { body: Buffer.from(JSON.stringify(payload)), key: String(payload.conversation_id), agent: 'default', receivedAtMs: Date.now(), signature: 'valid' };
};
const count = async (tag: string) => Number((await db.store.query(`SELECT count() FROM aksita.human_agent_replies WHERE additional_context = '${tag}'`, { format: 'TSV' })).toString().trim());

it('a draining stop stores and commits the whole backlog in small batches, each record once', async () => {
  const dir = `${db.dir}/drain-log`;
  const log = await EmbeddedLog.open({ dir });
  const tag = `drain-${Date.now()}`;
  await Promise.all(Array.from({ length: 500 }, () => log.append(envelope(tag))));
  const consumer = new EmbeddedConsumer({ log, queueName: await embeddedQueueName(dir), store: db.store, maxRows: 20, maxWaitMs: 60_000 });
  consumer.start();
  // A plain stop leaves all but the first read's records on the log; a draining one takes all.
  await consumer.stop(log.end);
  expect(log.committed).toBe(500);
  expect(await count(tag)).toBe(500);
  await log.close();
});

it('a drain that runs out of time stops, and leaves the rest on the log uncommitted', async () => {
  const dir = `${db.dir}/drain-timeout-log`;
  const log = await EmbeddedLog.open({ dir });
  const tag = `drain-timeout-${Date.now()}`;
  await Promise.all(Array.from({ length: 100 }, () => log.append(envelope(tag))));
  // A store that never takes an insert: the drain can only end by its time limit.
  const refusing = Object.assign(Object.create(db.store) as Store, { insertReplies: async () => Promise.reject(new Error('injected: insert refused')) });
  const consumer = new EmbeddedConsumer({ log, queueName: await embeddedQueueName(dir), store: refusing, maxRows: 20, maxWaitMs: 60_000 });
  consumer.start();
  await consumer.stop(log.end, 200);
  expect(log.committed).toBe(0);
  expect(await count(tag)).toBe(0);
  await log.close();
});
