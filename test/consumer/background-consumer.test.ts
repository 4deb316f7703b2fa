// The embedded consumer on its own thread, as `npm start` runs it: a real worker thread, the
// real log files and the same chDB data directory as this (the main) thread.
import { open } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackgroundConsumer } from '../../consumer/background-consumer.js';
import { createMetrics, type Metrics } from '../../core/metrics.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import type { Envelope } from '../../queue/envelope.js';
import { embeddedQueueName } from '../../queue/log-identity.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';
import { samplePayload } from '../helpers/sign.js';

const envelope = (payload: Record<string, unknown>): Envelope => ({
  body: Buffer.from(JSON.stringify(payload)),
  key: String(payload.conversation_id),
  agent: 'default',
  receivedAtMs: Date.now(),
  signature: 'valid',
});

describe('background consumer', () => {
  let db: MigratedStore;
  beforeAll(async () => {
    db = await openMigratedStore('background-consumer-');
  });
  afterAll(async () => {
    await db.close();
  });

  const count = async (where: string) => Number((await db.store.query(`SELECT count() FROM aksita.human_agent_replies WHERE ${where}`, { format: 'TSV' })).toString().trim());

  /** Starts a consumer thread on a log in the store's directory; resolves waits as batches land. */
  async function start(name: string, metrics: Metrics, beforeStart?: (log: EmbeddedLog) => Promise<void>) {
    const dir = `${db.dir}/${name}`;
    const log = await EmbeddedLog.open({ dir });
    await beforeStart?.(log);
    const batches: number[] = [];
    const errors: Error[] = [];
    let onBatch = () => {};
    let onFailure = () => {};
    const failed = new Promise<void>((resolve) => (onFailure = resolve));
    const consumer: BackgroundConsumer = await BackgroundConsumer.start({
      log,
      store: { dataDir: db.dir, clickhouse: undefined },
      queueName: await embeddedQueueName(dir),
      maxRows: 50,
      maxWaitMs: 20,
      metrics,
      onError: (err) => {
        errors.push(err);
        if (!consumer.healthy) onFailure();
      },
      onBatch: (rows) => (batches.push(rows), onBatch()),
    });
    /** Resolves once every durable record is committed (each batch is announced). */
    const drained = () =>
      new Promise<void>((resolve) => {
        onBatch = () => log.committed === log.end && resolve();
        onBatch();
      });
    return { log, consumer, batches, errors, drained, failed };
  }

  it('stores what the receiver appends, exactly once, and reports through this thread', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { log, consumer, batches, errors, drained } = await start('queue-1', metrics);
    const tag = `bg-${Date.now()}`;
    const payloads = Array.from({ length: 120 }, () => samplePayload({ additional_context: tag }));
    // Two repeats and one payload that is not valid: 120 replies and one dead letter.
    for (const p of [...payloads, payloads[7]!, payloads[99]!]) await log.append(envelope(p));
    await log.append(envelope({ ...samplePayload(), message_id: 42 }));
    await drained();

    expect(await count(`additional_context = '${tag}'`)).toBe(120);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(123);
    expect(log.backlog).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/aksita_stored_rows_total\{table="human_agent_replies"\} 120\n/);
    expect(text).toMatch(/aksita_duplicates_skipped_total 2\n/);
    expect(text).toMatch(/aksita_dead_letters_total\{reason="[a-z_]+"\} 1\n/);
    expect(text).toMatch(/aksita_consumer_batch_rows_count [1-9]/);
    expect(text).toMatch(/aksita_queue_backlog_events 0\n/);

    await consumer.stop();
    expect(consumer.healthy).toBe(true);
    expect(errors).toEqual([]);
    await log.close();
  });

  it('stop stores and commits what was appended just before it, and this thread can still query the engine', async () => {
    const { log, consumer } = await start('queue-2', createMetrics({ defaultMetrics: false }));
    const tag = `bg-stop-${Date.now()}`;
    await Promise.all(Array.from({ length: 30 }, () => log.append(envelope(samplePayload({ additional_context: tag })))));
    await consumer.stop();
    expect(log.committed).toBe(30);
    // The stopped thread closed its chDB sessions; this thread's store must still answer.
    expect(await count(`additional_context = '${tag}'`)).toBe(30);
    await log.close();
  });

  it('a store that fails keeps the batch on the log, uncommitted, and the consumer healthy; it is stored once when the store recovers', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { log, consumer, errors, drained } = await start('queue-4', metrics);
    const tag = `bg-fail-${Date.now()}`;
    await log.append(envelope(samplePayload({ additional_context: `${tag}-first` })));
    await drained();
    // The engine refuses any insert into a partition that holds a part already (the one above).
    await db.store.query('ALTER TABLE aksita.human_agent_replies MODIFY SETTING parts_to_throw_insert = 1', { format: 'TSV' });
    try {
      const failing = new Promise<void>((resolve) => {
        const check = setInterval(() => errors.length >= 2 && (clearInterval(check), resolve()), 10);
      });
      for (let i = 0; i < 20; i++) await log.append(envelope(samplePayload({ additional_context: tag })));
      await failing;
      expect(log.committed).toBe(1);
      expect(consumer.healthy).toBe(true);
      expect(await count(`additional_context = '${tag}'`)).toBe(0);
    } finally {
      await db.store.query('ALTER TABLE aksita.human_agent_replies RESET SETTING parts_to_throw_insert', { format: 'TSV' });
    }
    await drained();
    expect(await count(`additional_context = '${tag}'`)).toBe(20);
    expect(await metrics.registry.metrics()).toMatch(/aksita_store_failures_total [1-9]/);
    await consumer.stop();
    await log.close();
  });

  it('a damaged log stops the consumer and marks it unhealthy, with the reason', async () => {
    // The record is damaged after it became durable and before the consumer thread reads it.
    const damage = async (log: EmbeddedLog) => {
      await log.append(envelope(samplePayload()));
      const fh = await open(log.extent().segments[0]!.file, 'r+');
      await fh.write(Buffer.from([0xff, 0xff]), 0, 2, 10);
      await fh.close();
    };
    const { log, consumer, errors, failed } = await start('queue-3', createMetrics({ defaultMetrics: false }), damage);
    await failed;
    expect(consumer.healthy).toBe(false);
    expect(errors.at(-1)?.message).toMatch(/embedded log: unreadable record/);
    await consumer.stop();
    await log.close();
  });
});
