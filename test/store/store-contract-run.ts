// One run of the store contract: its id, its queue and rows, and the queries the parts share.
// A server is shared and keeps its data between runs, so every row, token and queue name
// carries this run's id, and counts are taken over this run's rows only.
import { randomUUID } from 'node:crypto';
import type { ReplyRow, Store } from '../../store/store.js';

export interface ContractRun {
  run: string;
  queue: string;
  /** The store under test; opened in the contract's beforeAll. */
  store(): Store;
  row(overrides?: Partial<ReplyRow>): ReplyRow;
  token(name: string): string;
  rowsOf(sql: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  countOf(where: string): Promise<number>;
}

export function contractRun(store: () => Store): ContractRun {
  const run = randomUUID().slice(0, 8);
  const queue = `contract-${run}`;
  let seq = 0;
  const row = (overrides: Partial<ReplyRow> = {}): ReplyRow => {
    seq += 1;
    return {
      agent: `default-${run}`,
      message_id: `m${seq}`,
      conversation_id: 'c1',
      response: ['hello', 'wörld'],
      credits: 0,
      remaining_credits: 100,
      additional_context: '',
      source: 'human_agent',
      event_time: '2026-01-22 08:18:18.123',
      event_utc_offset_minutes: 420,
      received_at: '2026-01-22 08:18:19.456',
      signature_status: 'valid',
      raw_body: '{}',
      queue_name: queue,
      queue_partition: 0,
      queue_offset: seq,
      ...overrides,
    };
  };
  const token = (name: string) => `${queue}:${name}`;
  const rowsOf = async (sql: string, params?: Record<string, unknown>) =>
    (await store().query(sql, { format: 'JSONEachRow', params }))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const countOf = async (where: string) => Number((await rowsOf(`SELECT count() AS n FROM aksita.human_agent_replies WHERE queue_name = {q:String} AND ${where}`, { q: queue }))[0]!.n);
  return { run, queue, store, row, token, rowsOf, countOf };
}
