// The real log and its consumer thread (real chDB) through a disk that fills and frees again,
// with ENOSPC injected at the file layer: where a tmpfs cannot be mounted, this is the check
// that test/e2e/full-disk.test.ts makes with a real full disk.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BackgroundConsumer } from '../../consumer/background-consumer.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import type { Envelope } from '../../queue/envelope.js';
import { embeddedQueueName } from '../../queue/log-identity.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';
import { waitFor } from '../helpers/pipeline-process.js';
import { samplePayload } from '../helpers/sign.js';
import { fileHandlePrototype } from '../queue/log-fixtures.js';

let db: MigratedStore;
beforeAll(async () => {
  db = await openMigratedStore('full-disk-consumer-');
});
afterAll(async () => {
  vi.restoreAllMocks();
  await db.close();
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

it('appends refused while the disk is full are never stored; every acknowledged one is, once, after it frees', async () => {
  const dir = `${db.dir}/queue`;
  let recovered = 0;
  const log = await EmbeddedLog.open({ dir, repairDelayMs: 1, onRecovered: () => (recovered += 1) });
  const consumer = await BackgroundConsumer.start({ log, store: { dataDir: db.dir, clickhouse: undefined }, queueName: await embeddedQueueName(dir), maxRows: 25, maxWaitMs: 20 });
  const tag = `full-${Date.now()}`;
  const acked = new Set<string>();
  const refused = new Set<string>();
  /** Appends one reply; records whether the log acknowledged it. */
  const append = async () => {
    const payload = samplePayload({ additional_context: tag });
    const env: Envelope = { body: Buffer.from(JSON.stringify(payload)), key: String(payload.conversation_id), agent: 'default', receivedAtMs: Date.now(), signature: 'valid' };
    await log.append(env).then(
      () => acked.add(String(payload.message_id)),
      () => refused.add(String(payload.message_id)),
    );
  };

  for (let i = 0; i < 50; i++) await append();
  // The disk is full: the log's writes fail (the consumer thread's reads are unaffected).
  const writev = vi.spyOn(await fileHandlePrototype(), 'writev').mockRejectedValue(enospc());
  for (let i = 0; i < 30; i++) await Promise.all([append(), append()]);
  expect(refused.size).toBe(60);
  writev.mockRestore();
  // Space is back: the log repairs itself and takes appends again, without reopening.
  await waitFor(async () => (await append(), log.healthy), 'the log to take appends again');
  for (let i = 0; i < 50; i++) await Promise.all([append(), append()]);
  expect(recovered).toBe(1);

  await waitFor(async () => log.committed === log.end, 'every acknowledged reply to be committed');
  await consumer.stop();
  const out = (await db.store.query(`SELECT message_id, count() FROM aksita.human_agent_replies WHERE additional_context = '${tag}' GROUP BY message_id`, { format: 'TSV' })).toString();
  const stored = new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]),
  );
  expect(new Set(stored.keys())).toEqual(acked);
  expect([...stored.values()].filter((n) => n !== '1')).toEqual([]);
  expect(log.end).toBe(acked.size);
  await log.close();
});
