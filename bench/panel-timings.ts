// Times every dashboard panel's query on chDB at a few table sizes. Not a test: it measures
// and prints a markdown table, and never fails on a time.
//
//   tsx bench/panel-timings.ts [rows ...]      default: 1000000 10000000
//   RUNS=5 tsx bench/panel-timings.ts 1000000
//   tsx bench/panel-timings.ts --insert-cost [rounds]   what the dashboards' rollups cost an insert
//
// Rows are generated inside the engine (INSERT … SELECT … FROM numbers(N)) into a fresh store
// in a temp dir: 30 days of replies from 5 agents, ~10 replies per conversation, exponential
// delivery latency, a credit balance that falls and is topped up every 10 days, 1 dead letter
// per 1000 replies. Each query runs once to warm up, then RUNS times; the median is reported.
import os from 'node:os';
import { ChdbStore } from '../store/chdb-store.js';
import { applyMigrations } from '../store/migrate.js';
import { DEAD_LETTERS_TABLE, migrations, REPLIES_TABLE } from '../store/migrations.js';
import { generateRows } from './generate-rows.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { AGENT_VARIABLE_SQL } from '../dashboards/dashboard-base.js';
import { expandFor, panelQueries, runTable } from '../test/dashboards/panel-queries.js';
import type { Scenario } from '../test/dashboards/oracle.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const SPAN_DAYS = 30;
const AGENTS = ['billing', 'onboarding', 'retention', 'sales', 'support'];
const RUNS = Number(process.env.RUNS ?? 5);

/** What a viewer would look at: the whole month hourly, and one agent's last day by the minute. */
const scenarios: Scenario[] = [
  { name: '30 days, all agents, 1 h buckets', fromMs: START, toMs: START + SPAN_DAYS * DAY, intervalMs: 3_600_000, agents: 'All' },
  { name: '1 day, one agent, 1 min buckets', fromMs: START + (SPAN_DAYS - 1) * DAY, toMs: START + SPAN_DAYS * DAY, intervalMs: 60_000, agents: ['sales'] },
];

function repliesSql(n: number): string {
  const spanMs = SPAN_DAYS * DAY;
  return `INSERT INTO ${REPLIES_TABLE} (agent, message_id, conversation_id, response, credits, remaining_credits,
  additional_context, source, event_time, event_utc_offset_minutes, received_at, stored_at, signature_status, raw_body,
  queue_name, queue_partition, queue_offset)
SELECT agent, message_id, conversation_id, response, credits, remaining, '', 'human_agent', event_time, offset,
  received_at, received_at + toIntervalMillisecond(20 + cityHash64(number, 2) % 400), if(agent = 'billing', 'unsigned', 'valid'),
  format('{{"response":["{}"],"message_id":"{}","conversation_id":"{}","credits":0,"remaining_credits":{},"source":"human_agent"}}',
    response[1], message_id, conversation_id, toString(remaining)),
  'bench', 0, number
FROM (
  SELECT number,
    ${JSON.stringify(AGENTS).replace(/"/g, "'")}[1 + number % ${AGENTS.length}] AS agent,
    concat('m', toString(number)) AS message_id,
    concat('c', toString(intDiv(number, 50)), '-', agent) AS conversation_id,
    arrayMap(i -> concat('reply part ', toString(i)), range(1 + (cityHash64(number, 3) % 10 = 0))) AS response,
    toFloat64(cityHash64(number, 4) % 100000 = 0) AS credits,
    toDateTime64(${START / 1000}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * ${spanMs}, ${n}) + cityHash64(number) % 1000) AS event_time,
    [420, -300, 330, 0, 60][1 + number % 5] AS offset,
    event_time + toIntervalMillisecond(toInt64(-log(1 - (cityHash64(number, 1) % 1000000) / 1000000.0) * 800)) AS received_at,
    round(50000 - 4000 * ((toUnixTimestamp64Milli(event_time) - ${START}) / ${DAY} % 10), 2) AS remaining
  FROM numbers(${n})
)`;
}

function deadLettersSql(n: number): string {
  const rows = Math.max(1, Math.floor(n / 1000));
  return `INSERT INTO ${DEAD_LETTERS_TABLE} (agent, received_at, stored_at, reason_code, reason, signature_status, raw_body, queue_name, queue_partition, queue_offset)
SELECT ${JSON.stringify(AGENTS).replace(/"/g, "'")}[1 + number % ${AGENTS.length}],
  toDateTime64(${START / 1000}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * ${SPAN_DAYS * DAY}, ${rows})) AS received_at,
  received_at + toIntervalMillisecond(100), ['malformed_json', 'invalid_payload'][1 + number % 2], 'bench', 'valid', '{"broken":', 'bench-dl', 0, number
FROM numbers(${rows})`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Every panel's query, and the variable's (it runs on every dashboard load). */
const timed = () => [...panelQueries().map((q) => ({ name: q.name, sql: q.query.rawSql })), { name: 'variable $agent (all dashboards)', sql: AGENT_VARIABLE_SQL }];

async function timeAt(rows: number): Promise<Map<string, number>> {
  const dir = await tempDir('aksita-bench-');
  const store = await ChdbStore.open(dir.path);
  const out = new Map<string, number>();
  try {
    await store.migrate();
    let t = performance.now();
    await store.query(repliesSql(rows), { format: 'TSV' });
    await store.query(deadLettersSql(rows), { format: 'TSV' });
    const check = await runTable(store, `SELECT count(), uniqExact(agent, conversation_id), min(event_time), max(event_time) FROM ${REPLIES_TABLE}`);
    console.error(`${rows} rows generated in ${((performance.now() - t) / 1000).toFixed(1)} s: ${JSON.stringify(check.rows[0])}`);
    // A steady-state table: parts merged as the engine would have done over the month.
    t = performance.now();
    await store.query(`OPTIMIZE TABLE ${REPLIES_TABLE} FINAL`, { format: 'TSV' });
    console.error(`merged in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const s of scenarios) {
      for (const q of timed()) {
        const sql = expandFor(q.sql, s, AGENTS);
        await runTable(store, sql);
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const start = performance.now();
          await runTable(store, sql);
          times.push(performance.now() - start);
        }
        out.set(`${s.name}\u0000${q.name}`, median(times));
      }
    }
  } finally {
    await store.close();
    await dir.remove();
  }
  return out;
}

/**
 * Insert time with every migration and without the last one (migration 4 added the
 * five-minute rollup's view; migration 5 drops the daily rollup's), alternating, `rounds` times each: a 1M-row INSERT … SELECT as
 * bench/generate-rows.ts does it, and 100 consumer-sized batches of 1000 rows through
 * ChdbStore.insertReplies (JSON, an insert token each), as the consumer inserts.
 */
async function insertCost(rounds: number): Promise<void> {
  const last = Math.max(...migrations.map((m) => m.version));
  const times = new Map<string, number[]>();
  const add = (name: string, ms: number) => times.set(name, [...(times.get(name) ?? []), ms]);
  for (let round = 0; round < rounds; round++) {
    for (const upTo of [last - 1, last]) {
      const dir = await tempDir('aksita-bench-insert-');
      const store = await ChdbStore.open(dir.path);
      try {
        await applyMigrations(
          async (sql) => (await store.query(sql, { format: 'TSVRaw' })).toString('utf8'),
          migrations.filter((m) => m.version <= upTo),
        );
        let t = performance.now();
        await generateRows(store, 1_000_000);
        add(`1M rows, one INSERT … SELECT, migrations 1-${upTo}`, performance.now() - t);
        // The same replies a week later, as the consumer would send them.
        const rows = (
          await store.query(
            `SELECT * EXCEPT (stored_at, response_parts, response_chars) REPLACE (concat(message_id, 'b') AS message_id,
               event_time + INTERVAL 8 DAY AS event_time, received_at + INTERVAL 8 DAY AS received_at)
             FROM ${REPLIES_TABLE} LIMIT 100000`,
            { format: 'JSONEachRow' },
          )
        )
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line));
        t = performance.now();
        for (let i = 0; i < rows.length; i += 1000) await store.insertReplies(rows.slice(i, i + 1000), `bench:${round}:${i}`);
        add(`100 batches of 1000 rows (insertReplies), migrations 1-${upTo}`, performance.now() - t);
      } finally {
        await store.close();
        await dir.remove();
      }
    }
  }
  console.log(
    `chDB, ${os.cpus().length} CPUs; load average (1, 5, 15 min) after: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  console.log('| insert | median ms | runs (ms) |\n|---|---:|---|');
  for (const [name, ms] of times) console.log(`| ${name} | ${median(ms).toFixed(0)} | ${ms.map((x) => x.toFixed(0)).join(', ')} |`);
}

if (process.argv[2] === '--insert-cost') {
  await insertCost(Number(process.argv[3] ?? 3));
  process.exit(0);
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const rowsList = sizes.length > 0 ? sizes : [1_000_000, 10_000_000];
const results = [];
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const loadBefore = load();
for (const rows of rowsList) results.push(await timeAt(rows));

// Other work on the machine shows up in the numbers; the load average says how much.
console.log(`chDB, ${os.cpus().length} CPUs; load average (1, 5, 15 min) before: ${loadBefore}, after: ${load()}`);

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
for (const s of scenarios) {
  console.log(`\n### ${s.name} (median of ${RUNS} runs, ms)\n`);
  console.log(`| dashboard / panel | ${rowsList.map(label).join(' | ')} |`);
  console.log(`|---|${rowsList.map(() => '---:').join('|')}|`);
  for (const q of timed()) {
    const cells = results.map((r) => r.get(`${s.name}\u0000${q.name}`)!.toFixed(0));
    console.log(`| ${q.name} | ${cells.join(' | ')} |`);
  }
}
