// RETENTION_DAYS and RAW_BODY_DAYS as ClickHouse TTL: applied at start-up, like a migration,
// whenever the setting differs from the value recorded in aksita.applied_settings. Each step is
// idempotent (MODIFY TTL sets, REMOVE TTL runs only where a TTL exists), so a crash between an
// ALTER and its record is repaired by the next start.
import type { RetentionConfig } from '../core/config.js';
import type { Runner } from './migrate.js';
import { APPLIED_SETTINGS_TABLE, DEAD_LETTERS_TABLE, REPLIES_TABLE, ROLLUP_TABLE } from './migrations.js';
import { stringLiteral } from './sql-literal.js';

/** Each table with data kept by time, and the time its rows are aged by. */
const AGED_TABLES = [
  { table: REPLIES_TABLE, time: 'toDateTime(event_time)' },
  { table: DEAD_LETTERS_TABLE, time: 'toDateTime(received_at)' },
  { table: ROLLUP_TABLE, time: 'bucket' },
] as const;

export interface RetentionChange {
  setting: 'retention_days' | 'raw_body_days';
  from: number | undefined;
  to: number | undefined;
}

const shown = (days: number | undefined): string => (days === undefined ? '' : String(days));

async function recorded(run: Runner): Promise<Map<string, string>> {
  const out = await run(`SELECT name, value FROM ${APPLIED_SETTINGS_TABLE} FINAL`);
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t') as [string, string]),
  );
}

/** The TTL clauses of a table's definition, as the engine shows them. */
async function createQuery(run: Runner, table: string): Promise<string> {
  const [db, name] = table.split('.') as [string, string];
  return run(`SELECT create_table_query FROM system.tables WHERE database = ${stringLiteral(db)} AND name = ${stringLiteral(name)}`);
}

async function applyRowTtl(run: Runner, days: number | undefined): Promise<void> {
  for (const { table, time } of AGED_TABLES) {
    if (days !== undefined) await run(`ALTER TABLE ${table} MODIFY TTL ${time} + INTERVAL ${days} DAY`);
    // The table TTL is the last clause of the definition; a column TTL sits inside its brackets.
    else if (/\)\s*ENGINE[\s\S]*\bTTL\b/.test(await createQuery(run, table))) await run(`ALTER TABLE ${table} REMOVE TTL`);
  }
}

// Replies only: a dead letter's raw_body is computed from an EPHEMERAL column, which a column
// TTL cannot re-evaluate (every later mutation of the table then fails); and a dead letter
// without its body could never be replayed. Dead letters go whole, at RETENTION_DAYS.
async function applyRawBodyTtl(run: Runner, days: number | undefined): Promise<void> {
  if (days !== undefined) await run(`ALTER TABLE ${REPLIES_TABLE} MODIFY COLUMN raw_body TTL toDateTime(event_time) + INTERVAL ${days} DAY`);
  else if (/`raw_body` [^`]*\bTTL\b/.test(await createQuery(run, REPLIES_TABLE))) await run(`ALTER TABLE ${REPLIES_TABLE} MODIFY COLUMN raw_body REMOVE TTL`);
}

/** Brings the tables' TTL in line with `retention`; returns what changed. */
export async function applyRetention(run: Runner, retention: RetentionConfig): Promise<RetentionChange[]> {
  const before = await recorded(run);
  const changes: RetentionChange[] = [];
  const steps = [
    { setting: 'retention_days', days: retention.days, apply: applyRowTtl },
    { setting: 'raw_body_days', days: retention.rawBodyDays, apply: applyRawBodyTtl },
  ] as const;
  for (const { setting, days, apply } of steps) {
    const was = before.get(setting);
    // Never recorded and not set: the tables were created without TTL, nothing to do.
    if ((was ?? '') === shown(days)) continue;
    await apply(run, days);
    await run(`INSERT INTO ${APPLIED_SETTINGS_TABLE} (name, value) VALUES (${stringLiteral(setting)}, ${stringLiteral(shown(days))})`);
    changes.push({ setting, from: was ? Number(was) : undefined, to: days });
  }
  return changes;
}
