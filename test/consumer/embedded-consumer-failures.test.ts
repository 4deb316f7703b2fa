// The consumer on a real embedded log and real chDB when the store or the disk fails (injected at
// the store boundary): nothing is committed past unstored data, memory stays bounded, and the
// consumer catches up with nothing lost or doubled.
import { describe, expect, it } from 'vitest';
import { EmbeddedConsumer } from '../../consumer/embedded-consumer.js';
import type { EmbeddedLog } from '../../queue/embedded-log.js';
import { embeddedQueueName } from '../../queue/log-identity.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import type { Store } from '../../store/store.js';
import { samplePayload } from '../helpers/sign.js';
import { embeddedConsumerSetup, envelope } from './consumer-fixtures.js';

/** The real store, with inserts that fail while `failures` is positive. */
function failingStore(store: Store, state: { failures: number; attempts: number }): Store {
  return Object.assign(Object.create(store) as Store, {
    insertReplies: async (...args: Parameters<Store['insertReplies']>) => {
      state.attempts += 1;
      if (state.failures > 0) {
        state.failures -= 1;
        throw new Error('injected: ClickHouse refused the insert');
      }
      return store.insertReplies(...args);
    },
  });
}

describe('embedded consumer', () => {
  let store: ChdbStore;
  const { logDir, freshLog, count } = embeddedConsumerSetup((s) => (store = s));

  it('while the store keeps failing, the consumer holds at most two batches: the log grows on disk, not in memory', async () => {
    const log = await freshLog();
    await Promise.all(Array.from({ length: 100 }, () => log.append(envelope())));
    let read = 0;
    const counted = Object.assign(Object.create(log) as EmbeddedLog, {
      read: async (...args: Parameters<EmbeddedLog['read']>) => {
        const records = await log.read(...args);
        read += records.length;
        return records;
      },
    });
    const state = { failures: Number.POSITIVE_INFINITY, attempts: 0 };
    const consumer = new EmbeddedConsumer({ log: counted, queueName: await embeddedQueueName(logDir(log)), store: failingStore(store, state), maxRows: 10, maxWaitMs: 10 });
    consumer.start();
    while (state.attempts < 4) await new Promise<void>((resolve) => setImmediate(resolve));
    await consumer.stop();
    // The failing batch and the one converted behind it; nothing past them.
    expect(read).toBeLessThanOrEqual(20);
    expect(log.committed).toBe(0);
    await log.close();
  });

  it('while the store fails, nothing is committed; then the consumer catches up with nothing lost or doubled', async () => {
    const log = await freshLog();
    const tag = `fail-${Date.now()}`;
    await Promise.all(Array.from({ length: 50 }, () => log.append(envelope(samplePayload({ additional_context: tag })))));
    const state = { failures: 3, attempts: 0 };
    const errors: unknown[] = [];
    const consumer = new EmbeddedConsumer({ log, queueName: await embeddedQueueName(logDir(log)), store: failingStore(store, state), maxRows: 20, maxWaitMs: 10, onError: (e) => errors.push(e) });
    consumer.start();
    while (state.attempts < 3) {
      expect(log.committed).toBe(0); // never committed past unstored data
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    while (log.committed < log.end) await new Promise<void>((resolve) => setImmediate(resolve));
    await consumer.stop();
    expect(errors).toHaveLength(3);
    expect(await count(`additional_context = '${tag}'`)).toBe(50);
    await log.close();
  });

  it('a consumer position that cannot be written for a while (a full disk) is retried: the consumer stays healthy and catches up', async () => {
    const log = await freshLog();
    const tag = `pos-${Date.now()}`;
    await Promise.all(Array.from({ length: 30 }, () => log.append(envelope(samplePayload({ additional_context: tag })))));
    const commit = log.commit.bind(log);
    let failures = 2;
    const flaky = Object.assign(Object.create(log) as EmbeddedLog, {
      commit: (seq: number) => (failures-- > 0 ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) : commit(seq)),
    });
    const errors: unknown[] = [];
    const consumer = new EmbeddedConsumer({ log: flaky, queueName: await embeddedQueueName(logDir(log)), store, maxRows: 10, maxWaitMs: 10, onError: (e) => errors.push(e) });
    consumer.start();
    while (log.committed < log.end) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(consumer.healthy).toBe(true);
    await consumer.stop();
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC', 'ENOSPC']);
    expect(await count(`additional_context = '${tag}'`)).toBe(30);
    await log.close();
  });
});
