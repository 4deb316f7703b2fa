// Part of the store contract: streamed results equal whole ones, and the report queries (views
// of migration 2) give the same figures on every store.
import { expect, it } from 'vitest';
import { detailCountQuery, detailQuery, summaryQuery } from '../../reports/report-query.js';
import type { ReportRequest } from '../../reports/report-params.js';
import type { ContractRun } from './store-contract-run.js';

export function reportContract({ run, queue, store, row, token }: ContractRun): void {
  it('queryStream yields the same bytes as query, in the requested format', async () => {
    const sql = 'SELECT message_id, agent FROM aksita.human_agent_replies WHERE queue_name = {q:String} ORDER BY message_id, agent';
    const whole = await store().query(sql, { format: 'CSV', params: { q: queue } });
    const chunks: Uint8Array[] = [];
    for await (const chunk of store().queryStream(sql, { format: 'CSV', params: { q: queue } })) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(whole.toString('utf8'));
    expect(whole.toString('utf8')).toContain(`"ms-1","default-${run}"`);
  });

  it('the report queries (views of migration 2) give the same figures', async () => {
    const agent = `report-${run}`;
    await store().insertReplies(
      [
        row({ agent, message_id: 'r1', conversation_id: 'a', event_time: '2026-05-01 10:00:00.000', received_at: '2026-05-01 10:00:01.000', remaining_credits: 50 }),
        row({ agent, message_id: 'r2', conversation_id: 'a', event_time: '2026-05-01 10:00:10.000', received_at: '2026-05-01 10:00:13.000', remaining_credits: 40 }),
        row({ agent, message_id: 'r3', conversation_id: 'b', event_time: '2026-05-01 11:00:00.000', received_at: '2026-05-01 11:00:02.000', remaining_credits: 30 }),
      ],
      token('report'),
    );
    const req: ReportRequest = {
      kind: 'summary',
      format: 'json',
      fromMs: Date.UTC(2026, 4, 1),
      toMs: Date.UTC(2026, 4, 2),
      tz: 'UTC',
      agents: [agent],
      given: { from: '2026-05-01', to: '2026-05-02' },
    };
    const summary = summaryQuery(req);
    const [day] = (await store().query(summary.sql, { format: 'JSONEachRow', params: summary.params }))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(day).toMatchObject({ day: '2026-05-01', agent, replies: 3, conversations: 2, delivery_latency_p50_ms: 2000, remaining_credits_start: 50, remaining_credits_end: 30 });
    // Credits used: the balance's drops between the agent's consecutive replies (50 -> 40 -> 30).
    expect(day).toMatchObject({ credits_used: 20, credits_charged: 0 });
    const count = detailCountQuery(req);
    expect((await store().query(count.sql, { format: 'TSV', params: count.params })).toString().trim()).toBe('3');
    const detail = detailQuery(req);
    let text = '';
    for await (const chunk of store().queryStream(detail.sql, { format: 'JSONEachRow', params: detail.params })) text += Buffer.from(chunk).toString('utf8');
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message_id)
        .sort(),
    ).toEqual(['r1', 'r2', 'r3']);
  });
}
