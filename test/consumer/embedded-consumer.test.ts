// The consumer on a real embedded log and real chDB: batching, exactly-once across replays
// with different batch boundaries, dead letters, and a clean stop.
import { describe, expect, it } from 'vitest';
import { EmbeddedConsumer } from '../../consumer/embedded-consumer.js';
import { prepareBatch, storePrepared } from '../../consumer/store-batch.js';
import { embeddedQueueName } from '../../queue/log-identity.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import type { Store } from '../../store/store.js';
import { samplePayload } from '../helpers/sign.js';
import { embeddedConsumerSetup, envelope } from './consumer-fixtures.js';

describe('embedded consumer', () => {
  let store: ChdbStore;
  const { logDir, openLog, freshLog, count, drain } = embeddedConsumerSetup((s) => (store = s));

  it('forms batches of at most BATCH_MAX_ROWS and commits after each', async () => {
    const log = await freshLog();
    const tag = `size-${Date.now()}`;
    await Promise.all(Array.from({ length: 350 }, () => log.append(envelope(samplePayload({ additional_context: tag })))));
    const sizes: number[] = [];
    await drain(log, new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store, maxRows: 100, maxWaitMs: 10, onBatch: (rows) => sizes.push(rows) }));
    expect(sizes).toEqual([100, 100, 100, 50]);
    expect(await count(`additional_context = '${tag}'`)).toBe(350);
    expect(log.backlog).toBe(0);
    await log.close();
  });

  it('a batch is also full at maxBatchBytes of bodies, whatever BATCH_MAX_ROWS allows', async () => {
    const log = await freshLog();
    const tag = `bytes-${Date.now()}`;
    // Bodies of one size, so the cap (just under ten of them) makes batches of exactly ten.
    const bodies = Array.from({ length: 50 }, (_, i) => envelope(samplePayload({ additional_context: `${tag}-${String(i).padStart(2, '0')}-${'x'.repeat(1000)}` })));
    const size = bodies[0]!.body.length;
    expect(bodies.every((b) => b.body.length === size)).toBe(true);
    for (const b of bodies) await log.append(b);
    const sizes: number[] = [];
    await drain(
      log,
      new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store, maxRows: 1000, maxWaitMs: 10, maxBatchBytes: 10 * size - 1, onBatch: (rows) => sizes.push(rows) }),
    );
    expect(sizes).toEqual([10, 10, 10, 10, 10]);
    expect(await count(`startsWith(additional_context, '${tag}')`)).toBe(50);
    await log.close();
  });

  it('a crash after storing but before committing, replayed in different batches, stores each reply once', async () => {
    const log = await freshLog();
    const tag = `replay-${Date.now()}`;
    for (let i = 0; i < 300; i++) await log.append(envelope(samplePayload({ additional_context: tag })));
    // First life: store records 0..119 in one batch, then "crash" before commit.
    await storePrepared(store, await prepareBatch(await log.read(120), await embeddedQueueName(logDir(log))));
    await log.close();
    // Second life: the log replays from 0 and forms batches of 70.
    const reopened = await openLog(logDir(log));
    expect(reopened.committed).toBe(0);
    await drain(reopened, new EmbeddedConsumer({ log: reopened, queueName: await embeddedQueueName(logDir(reopened)), store, maxRows: 70, maxWaitMs: 10 }));
    expect(await count(`additional_context = '${tag}'`)).toBe(300);
    await reopened.close();
  });

  it("a body repeated in the next batch is stored once even when that batch's key check runs before the insert lands", async () => {
    const log = await freshLog();
    const tag = `overlap-${Date.now()}`;
    const payloads = Array.from({ length: 10 }, () => samplePayload({ additional_context: tag }));
    for (const p of [...payloads, payloads[3]!, samplePayload({ additional_context: tag })]) await log.append(envelope(p));
    // The first batch's insert is held until the second batch's key check has answered, so that
    // check cannot see the repeated body in the table: only the first batch's own keys can tell.
    let checks = 0;
    let release!: () => void;
    const secondCheckDone = new Promise<void>((resolve) => (release = resolve));
    const gated = Object.assign(Object.create(store) as Store, {
      storedReplyKeys: async (...args: Parameters<Store['storedReplyKeys']>) => {
        const found = await store.storedReplyKeys(...args);
        if (++checks === 2) release();
        return found;
      },
      insertReplies: async (...args: Parameters<Store['insertReplies']>) => {
        await secondCheckDone;
        return store.insertReplies(...args);
      },
    });
    const sizes: number[] = [];
    await drain(log, new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store: gated, maxRows: 10, maxWaitMs: 10, onBatch: (rows) => sizes.push(rows) }));
    expect(sizes).toEqual([10, 2]);
    expect(checks).toBe(2);
    expect(await count(`additional_context = '${tag}'`)).toBe(11);
    await log.close();
  });

  it('the same body twice in one batch or across batches is stored once', async () => {
    const log = await freshLog();
    const payload = samplePayload();
    await log.append(envelope(payload));
    await log.append(envelope(payload));
    await drain(log, new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store, maxRows: 10, maxWaitMs: 10 }));
    await log.append(envelope(payload));
    await drain(log, new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store, maxRows: 10, maxWaitMs: 10 }));
    expect(await count(`message_id = '${payload.message_id}'`)).toBe(1);
    await log.close();
  });

  it('refused payloads become dead letters once, byte-exact, and do not block the replies behind them', async () => {
    const log = await freshLog();
    const bad = Buffer.from([0x7b, 0xff, 0x7d]);
    await log.append({ ...envelope(), body: bad, key: '', reject: { code: 'invalid_utf8', reason: 'Body is not valid UTF-8.' } });
    const good = samplePayload();
    await log.append(envelope(good));
    await drain(log, new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store, maxRows: 10, maxWaitMs: 10 }));
    const rows = (await store.query(`SELECT reason_code, hex(raw_body) FROM aksita.dead_letters WHERE queue_name = '${await embeddedQueueName(logDir(log))}'`, { format: 'TSV' })).toString();
    expect(rows).toContain(`invalid_utf8\t${bad.toString('hex').toUpperCase()}`);
    expect(await count(`message_id = '${good.message_id}'`)).toBe(1);
    await log.close();
  });

  it("bodies that skipped ingest's checks are held to them: duplicate keys and invalid UTF-8 become dead letters", async () => {
    const log = await freshLog();
    const queue = await embeddedQueueName(logDir(log));
    const good = samplePayload();
    // Without the check, the stored fields could differ from the ones validated (JSON.parse keeps the last "message_id").
    const duplicated = Buffer.from(JSON.stringify(samplePayload()).replace('{', '{"message_id":"first",'));
    const invalid = Buffer.concat([Buffer.from(JSON.stringify(samplePayload()).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')]);
    for (const body of [duplicated, invalid]) await log.append({ ...envelope(), body });
    await log.append(envelope(good));
    await drain(log, new EmbeddedConsumer({ log, queueName: queue, store, maxRows: 10, maxWaitMs: 10 }));
    const rows = (await store.query(`SELECT reason_code, reason, hex(raw_body) FROM aksita.dead_letters WHERE queue_name = '${queue}' ORDER BY queue_offset`, { format: 'TSV' })).toString();
    expect(rows.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^duplicate_key\t.*"message_id".*\t${duplicated.toString('hex').toUpperCase()}$`)),
      expect.stringMatching(new RegExp(`^invalid_utf8\t.*\t${invalid.toString('hex').toUpperCase()}$`)),
    ]);
    expect(await count(`queue_name = '${queue}'`)).toBe(1);
    expect(await count(`message_id = '${good.message_id}'`)).toBe(1);
    await log.close();
  });

  it('stop() stores and commits the batch in progress (clean shutdown)', async () => {
    const log = await freshLog();
    const tag = `stop-${Date.now()}`;
    await Promise.all(Array.from({ length: 30 }, () => log.append(envelope(samplePayload({ additional_context: tag })))));
    // A long wait: without stop() flushing it, this batch would sit in memory.
    const consumer = new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store, maxRows: 1000, maxWaitMs: 60_000 });
    // start() begins a read at once; stop() must store and commit what that read returned.
    consumer.start();
    await consumer.stop();
    expect(log.committed).toBe(30);
    expect(await count(`additional_context = '${tag}'`)).toBe(30);
    await log.close();
  });
});
