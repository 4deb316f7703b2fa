// Report figures in every format equal figures computed independently from the fixture
// (expected.ts), with duplicates stored, several agents, and days in several time zones.
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReportRequest, type ReportInput } from '../../reports/report-params.js';
import type { ChdbStore } from '../../store/chdb-store.js';
import { compareSummary, expectedSummary, inRange, localDay, localTime } from './expected.js';
import { openFixtureStore, REPLIES } from './fixture.js';
import { csvObjects, exportFile, jsonLines } from './read-back.js';

let store: ChdbStore;
let dir: string;
let close: () => Promise<void>;
let seq = 0;

beforeAll(async () => {
  ({ store, dir, close } = await openFixtureStore());
});
afterAll(async () => {
  await close();
});

const exportAs = (input: ReportInput, ext: string) => exportFile(store, dir, input, `export-${(seq += 1)}.${ext}`);
const engineRows = async (sql: string, params: Record<string, unknown>) => jsonLines((await store.query(sql, { format: 'JSONEachRow', params })).toString('utf8'));
const parquetRows = (file: string) => engineRows("SELECT * FROM file({p:String}, 'Parquet')", { p: file });

const cases: [string, ReportInput][] = [
  ['whole days in Asia/Jakarta', { from: '2026-03-05', to: '2026-03-10', tz: 'Asia/Jakarta' }],
  ['two agents in America/New_York, across the switch to summer time', { from: '2026-03-07', to: '2026-03-09', tz: 'America/New_York', agent: 'billing,support' }],
  ['date-times with and without offsets, days in UTC', { from: '2026-03-06T12:00', to: '2026-03-08T06:30:00+07:00', tz: 'UTC' }],
  ['a half-hour zone, Asia/Kolkata', { from: '2026-03-04', to: '2026-03-11', tz: 'Asia/Kolkata', agent: ['sales'] }],
];

it('the fixture holds duplicates that the raw table still shows (no merge has collapsed them)', async () => {
  const [raw] = await engineRows('SELECT count() AS n, uniqExact(agent, message_id) AS u FROM aksita.human_agent_replies', {});
  expect(Number(raw!.n)).toBeGreaterThan(Number(raw!.u));
  expect(Number(raw!.u)).toBe(REPLIES.length);
});

describe.each(cases)('summary: %s', (_name, input) => {
  const req = () => parseReportRequest({ ...input, format: 'csv' });
  const expected = () => {
    const r = req();
    return expectedSummary(REPLIES, { fromMs: r.fromMs, toMs: r.toMs, tz: r.tz, agents: r.agents });
  };

  it('has rows to compare', () => {
    expect(expected().length).toBeGreaterThan(2);
  });

  it('CSV equals the expected figures', async () => {
    const text = await readFile(await exportAs({ ...input, format: 'csv' }, 'csv'), 'utf8');
    expect(compareSummary(csvObjects(text), expected())).toEqual([]);
  });

  it('JSON (one array of rows) equals the expected figures', async () => {
    const rows = JSON.parse(await readFile(await exportAs({ ...input, format: 'json' }, 'json'), 'utf8')) as Record<string, unknown>[];
    expect(compareSummary(rows, expected())).toEqual([]);
  });

  it('Parquet, read back with chDB, equals the expected figures', async () => {
    expect(compareSummary(await parquetRows(await exportAs({ ...input, format: 'parquet' }, 'parquet')), expected())).toEqual([]);
  });
});

describe('detail', () => {
  const input: ReportInput = { kind: 'detail', from: '2026-03-05', to: '2026-03-09', tz: 'Asia/Jakarta' };
  const expectedRows = () => {
    const r = parseReportRequest({ ...input, format: 'csv' });
    return inRange(REPLIES, { fromMs: r.fromMs, toMs: r.toMs, tz: r.tz });
  };
  const check = (rows: Record<string, unknown>[]) => {
    const want = expectedRows();
    expect(rows).toHaveLength(want.length);
    const byId = new Map(rows.map((r) => [`${String(r.agent)}/${String(r.message_id)}`, r]));
    for (const e of want) {
      const got = byId.get(`${e.agent}/${e.messageId}`);
      expect(got, `${e.agent}/${e.messageId}`).toBeDefined();
      expect({
        day: String(got!.day),
        conversation_id: got!.conversation_id,
        event_time: String(got!.event_time),
        received_at: String(got!.received_at),
        latency: Number(got!.delivery_latency_ms),
        remaining: Number(got!.remaining_credits),
        offset: Number(got!.event_utc_offset_minutes),
      }).toEqual({
        day: localDay('Asia/Jakarta', e.eventMs),
        conversation_id: e.conversationId,
        event_time: localTime('Asia/Jakarta', e.eventMs),
        received_at: localTime('Asia/Jakarta', e.receivedMs),
        latency: e.receivedMs - e.eventMs,
        remaining: e.remaining,
        offset: e.senderOffset,
      });
    }
  };

  it('CSV holds every reply in range once, with local times', async () => {
    check(csvObjects(await readFile(await exportAs({ ...input, format: 'csv' }, 'csv'), 'utf8')));
  });

  it('JSON lines hold every reply once, responses intact', async () => {
    const rows = jsonLines(await readFile(await exportAs({ ...input, format: 'json' }, 'jsonl'), 'utf8'));
    check(rows);
    const byId = new Map(REPLIES.map((r) => [r.messageId, r.response]));
    for (const row of rows) expect(row.response).toEqual(byId.get(String(row.message_id)));
  });

  it('Parquet and CSV read back with chDB give the same rows', async () => {
    const parquet = await exportAs({ ...input, format: 'parquet' }, 'parquet');
    const csv = await exportAs({ ...input, format: 'csv' }, 'csv');
    // Parquet keeps instants (shown in UTC); the CSV has wall-clock times in the report's zone.
    const structure = (await engineRows("DESCRIBE file({p:String}, 'Parquet')", { p: parquet }))
      .map((c) => `${String(c.name)} ${String(c.type).startsWith('DateTime64') ? "DateTime64(3, 'Asia/Jakarta')" : String(c.type)}`)
      .join(', ');
    const utc = "* REPLACE (toTimeZone(event_time, 'UTC') AS event_time, toTimeZone(received_at, 'UTC') AS received_at)";
    const order = 'ORDER BY agent, message_id';
    const fromParquet = await engineRows(`SELECT * FROM file({p:String}, 'Parquet') ${order}`, { p: parquet });
    const fromCsv = await engineRows(`SELECT ${utc} FROM file({p:String}, 'CSVWithNames', {s:String}) ${order}`, { p: csv, s: structure });
    expect(fromParquet).toHaveLength(expectedRows().length);
    expect(fromCsv).toEqual(fromParquet);
  });

  it('summary Parquet and CSV read back with chDB give the same rows', async () => {
    const range = { from: '2026-03-05', to: '2026-03-10', tz: 'Asia/Kolkata' };
    const parquet = await exportAs({ ...range, format: 'parquet' }, 'parquet');
    const csv = await exportAs({ ...range, format: 'csv' }, 'csv');
    const structure = (await engineRows("DESCRIBE file({p:String}, 'Parquet')", { p: parquet })).map((c) => `${String(c.name)} ${String(c.type)}`).join(', ');
    const fromCsv = await engineRows("SELECT * FROM file({p:String}, 'CSVWithNames', {s:String})", { p: csv, s: structure });
    expect(fromCsv).toEqual(await parquetRows(parquet));
  });

  it('an empty range gives a header-only CSV, an empty JSON array and a valid empty Parquet file', async () => {
    const empty = { from: '2020-01-01', to: '2020-01-02' };
    expect((await readFile(await exportAs({ ...empty, format: 'csv' }, 'csv'), 'utf8')).split('\n')[0]).toContain('"day","agent","replies"');
    expect(JSON.parse(await readFile(await exportAs({ ...empty, format: 'json' }, 'json'), 'utf8'))).toEqual([]);
    expect(await parquetRows(await exportAs({ ...empty, kind: 'detail', format: 'parquet' }, 'parquet'))).toEqual([]);
  });

  it('leaves no scratch or partial files behind', async () => {
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
