// The README's "Useful queries", run on a small fixture that went through the real consumer
// path (embedded log -> consumer -> chDB), against answers worked out by hand below.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedConsumer } from '../../consumer/embedded-consumer.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import type { Envelope } from '../../queue/envelope.js';
import { ChdbStore } from '../../store/chdb-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const block = /Quick queries on the raw table:\n\n```sql\n([\s\S]*?)```/.exec(readme)![1]!;
const queries = block.split('\n').filter((l) => l.startsWith('SELECT'));

// agent, message_id, conversation, timestamp as sent, received (UTC ms), remaining credits
const fixture: [string, string, string, string, string, number][] = [
  ['sales', 'm1', 'c1', '2026-01-22T15:00:00+07:00', '2026-01-22T08:00:01.000Z', 500], // latency 1000 ms
  ['sales', 'm2', 'c1', '2026-01-22T15:00:10.500+07:00', '2026-01-22T08:00:12.500Z', 490], // 2000 ms
  ['sales', 'm3', 'c2', '2026-01-22T23:30:00-05:00', '2026-01-23T04:30:03.000Z', 480], // 3000 ms, UTC day 23rd
  ['support', 'm1', 'c3', '2026-01-22T08:00:00Z', '2026-01-22T08:00:00.500Z', 100], // 500 ms; same id, other agent
  ['support', 'm4', 'c3', '2026-01-23T09:00:00+01:00', '2026-01-23T08:00:04.000Z', 90], // 4000 ms
];

function envelope([agent, id, conv, ts, received, credits]: (typeof fixture)[number]): Envelope {
  const body = { response: ['hi'], message_id: id, conversation_id: conv, credits: 0, remaining_credits: credits, additional_context: '', source: 'human_agent', timestamp: ts };
  return { body: Buffer.from(JSON.stringify(body)), key: conv, agent, receivedAtMs: Date.parse(received), signature: 'valid' };
}

describe('README queries on a hand-computed fixture', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: ChdbStore;
  const run = async (sql: string) => (await store.readOnlyQuery(sql, 'TSV')).toString().trim().split('\n');

  beforeAll(async () => {
    dir = await tempDir();
    store = await ChdbStore.open(dir.path);
    await store.migrate();
    const log = await EmbeddedLog.open({ dir: path.join(dir.path, 'queue') });
    for (const row of fixture) await log.append(envelope(row));
    await log.append(envelope(fixture[1]!)); // the same reply delivered twice
    await log.append({ ...envelope(fixture[0]!), body: Buffer.from('{"response":1}'), reject: { code: 'invalid_payload', reason: 'response: expected an array of strings' } });
    const consumer = new EmbeddedConsumer({ log, store, queueName: 'fixture', maxRows: 3, maxWaitMs: 5 });
    consumer.start();
    while (log.committed < log.end) await new Promise<void>((resolve) => setImmediate(resolve));
    await consumer.stop();
    await log.close();
  });
  afterAll(async () => {
    await store.close();
    await dir.remove();
  });

  it('the README lists five queries', () => {
    expect(queries).toHaveLength(5);
  });

  it('replies per agent per UTC day', async () => {
    expect(await run(queries[0]!)).toEqual(['sales\t2026-01-22\t2', 'support\t2026-01-22\t1', 'sales\t2026-01-23\t1', 'support\t2026-01-23\t1']);
  });

  it('conversations that needed the most replies (the duplicate does not count)', async () => {
    expect(await run(queries[1]!)).toEqual(['c1\t2', 'c3\t2', 'c2\t1']);
  });

  it('delivery latency p50/p99 in ms', async () => {
    // sorted latencies: 500, 1000, 2000, 3000, 4000 -> exact p50 = 2000, p99 = 4000
    expect(await run(queries[2]!)).toEqual(['[2000,4000]']);
  });

  it('latest remaining credits per agent', async () => {
    expect(await run(queries[3]!)).toEqual(['sales\t480', 'support\t90']);
  });

  it('dead letters by reason', async () => {
    expect(await run(queries[4]!)).toEqual(['invalid_payload\t1']);
  });

  it('the plain count is exact: five replies, though six were delivered', async () => {
    expect(await run('SELECT count() FROM aksita.human_agent_replies')).toEqual(['5']);
  });
});
