// The store on chDB, the ClickHouse engine in-process. Only async calls are used
// (queryAsync, insert): the synchronous query blocks the event loop for the whole call.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from 'chdb';
import { AppError } from '../core/errors.js';
import { backupsDir } from './backup.js';
import { applyMigrations } from './migrate.js';
import { DEAD_LETTERS_TABLE, REPLIES_TABLE } from './migrations.js';
import { checkReadOnly, engineLimits, engineMessage, userQueryError, type QueryLimits } from './read-only-query.js';
import type { InsertPayload } from './insert-payload.js';
import { StoreBase } from './store-base.js';
import { LARGE_QUERY, stringArrayExpression, stringLiteral } from './sql-literal.js';
import { replyKeysOf, type QueryOptions, type ReadOnlyOptions, type ReplyKey, type Store } from './store.js';

// Work the engine would do on insert that buys nothing here: splitting a single-threaded parse
// of a batch-sized input into parallel chunks (with optimize_on_insert off, insert-payload.ts,
// about 20% of an insert's time, BENCHMARKS.md).
const INSERT_COST = { input_format_parallel_parsing: 0 };

// The consumer's inserts and key checks run at the lowest CPU priority (Linux nice 19): in
// embedded mode they share the machine with the receiver, and a webhook's answer must not wait
// behind a batch (Aksita does not retry; a stored row can come a little later). The engine
// applies these only when the process may change priorities (CAP_SYS_NICE, e.g. root);
// otherwise they do nothing.
const BACKGROUND_PRIORITY = { os_threads_nice_value_query: 19, os_threads_nice_value_materialized_view: 19 };

const KILL_RETRY_MS = 200;

// BACKUP ... TO File() needs backups.allowed_path, which is server configuration: a file given
// when the process first opens the directory (every later session shares that engine).
async function engineConfigArgs(dataDir: string): Promise<{ connectionArgs: string[] }> {
  const runDir = path.join(dataDir, 'run');
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  const file = path.join(runDir, 'chdb-config.xml');
  const allowed = `${backupsDir(dataDir)}/`.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const xml = `<clickhouse><backups><allowed_path>${allowed}</allowed_path></backups></clickhouse>\n`;
  // Rewritten only when it differs: the consumer's thread opens the store while the engine runs.
  if ((await readFile(file, 'utf8').catch(() => '')) !== xml) await writeFile(file, xml, { mode: 0o600 });
  return { connectionArgs: [`--config-file=${file}`] };
}

export class ChdbStore extends StoreBase implements Store {
  readonly kind = 'chdb' as const;

  private constructor(
    private readonly session: Session,
    private readonly dir: string,
    // The stored-key check has a session of its own, so that it can run while an insert runs
    // on the main one (the consumer checks the next batch's keys during the current insert).
    private readonly keyCheckSession: Session,
  ) {
    super();
  }

  /**
   * Opens (creating if needed) the chDB data directory `DATA_DIR/chdb`. While another process
   * holds it (a `sql` or `report` command that opened it directly), waits up to `waitMs` for it,
   * calling `onWait` once. chdb 3.4 tells that case apart only on stderr ("Cannot lock file"):
   * its error is a plain connection failure, so any of those is retried until the deadline.
   */
  static async open(dataDir: string, { waitMs = 30_000, onWait, limits }: { waitMs?: number; onWait?: () => void; limits?: QueryLimits } = {}): Promise<ChdbStore> {
    const dir = path.join(dataDir, 'chdb');
    await mkdir(dir, { recursive: true });
    const args = await engineConfigArgs(dataDir);
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const store = new ChdbStore(new Session(dir, args), dir, new Session(dir, args));
        // An export's store: its session keeps these for every query it runs.
        if (limits)
          await store.run(
            `SET ${Object.entries(engineLimits(limits))
              .map(([k, v]) => `${k} = ${v}`)
              .join(', ')}`,
          );
        return store;
      } catch (err) {
        if ((err as { code?: unknown }).code === 'CHDB_CONNECTION' && Date.now() < deadline) {
          if (attempt === 0) onWait?.();
          await sleep(200);
          continue;
        }
        throw new AppError('store_unavailable', [engineMessage(err)], { cause: err });
      }
    }
  }

  async migrate(): Promise<number[]> {
    return applyMigrations((sql) => this.run(sql));
  }

  async storedReplyKeys(keys: readonly ReplyKey[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // The time window (a day either side of the batch's event times) prunes partitions and the
    // primary key's (agent, day) prefix, so the check reads recent granules, not the whole table;
    // message_id IN (...) then uses the bloom-filter index, and pairs are matched exactly here.
    // PREWHERE reads message_id first and the other columns only for the rows it keeps (usually
    // none): the engine's own choice read event_time first, and the check took twice the CPU
    // (24 against 13 ms for 20,000 keys over 400,000 rows, half of them stored; about 10 ms of
    // either is parsing the literal list).
    const times = keys
      .map((k) => k.event_time)
      .filter((t): t is string => t !== undefined)
      .sort();
    const window = times.length === keys.length ? { from: times[0]!, to: times.at(-1)! } : { from: '1970-01-01 00:00:00.000', to: '2299-12-31 23:59:59.999' };
    const out = await this.keyCheckSession.queryAsync(
      `SELECT agent, message_id FROM ${REPLIES_TABLE}
       PREWHERE message_id IN ${stringArrayExpression([...new Set(keys.map((k) => k.message_id))])}
       WHERE event_time BETWEEN toDateTime64(${stringLiteral(window.from)}, 3, 'UTC') - INTERVAL 1 DAY AND toDateTime64(${stringLiteral(window.to)}, 3, 'UTC') + INTERVAL 1 DAY
         AND agent IN ${stringArrayExpression([...new Set(keys.map((k) => k.agent))])}
       SETTINGS ${LARGE_QUERY}, os_threads_nice_value_query = ${BACKGROUND_PRIORITY.os_threads_nice_value_query}`,
      { format: 'JSONCompactEachRow' },
    );
    return replyKeysOf(out.text());
  }

  async storedDeadLetterOffsets(queueName: string, partition: number, offsets: readonly number[]): Promise<Set<number>> {
    if (offsets.length === 0) return new Set();
    const out = await this.session.queryAsync(
      `SELECT toString(queue_offset) FROM ${DEAD_LETTERS_TABLE}
       WHERE queue_name = ${stringLiteral(queueName)} AND queue_partition = ${partition}
         AND queue_offset IN (${offsets.map((o) => String(o)).join(',')})
       SETTINGS ${LARGE_QUERY}`,
      { format: 'TSVRaw' },
    );
    return new Set(out.text().split('\n').filter(Boolean).map(Number));
  }

  protected async send<Row extends object>(table: string, { columns, values, settings }: InsertPayload<Row>): Promise<void> {
    try {
      await this.session.insert({ table, values, format: 'TabSeparated', columns, settings: { ...settings, ...INSERT_COST, ...BACKGROUND_PRIORITY } });
    } catch (err) {
      throw new AppError('store_unavailable', [engineMessage(err)], { cause: err, retriable: true });
    }
  }

  async query(sql: string, options: QueryOptions): Promise<Buffer> {
    const result = options.params ? await this.session.queryBindAsync(sql, options.params, { format: options.format }) : await this.session.queryAsync(sql, { format: options.format });
    return Buffer.from(result.bytes());
  }

  async *queryStream(sql: string, options: QueryOptions): AsyncIterable<Uint8Array> {
    const stream = options.params ? this.session.queryStreamBind(sql, options.params, { format: options.format }) : this.session.queryStream(sql, { format: options.format });
    for await (const chunk of stream) yield chunk.raw();
  }

  async readOnlyQuery(sql: string, format: string, options: ReadOnlyOptions = {}): Promise<Buffer> {
    // Each user query gets a session of its own (a few ms to open on an open directory): chDB
    // hands a failed query's partial output, such as a JSON header, to the next query on the
    // same session, which must never be another caller's result or the consumer's.
    const session = new Session(this.dir);
    const marker = `api-${randomUUID()}`;
    let running = true;
    // chDB cannot interrupt a call it runs; the engine stops a query that KILL QUERY names.
    const onAbort = () => void this.killWhile(marker, () => running);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // chDB runs in our process and, when its stdout is a terminal, adds colours and cursor
      // moves to Pretty output: bytes the caller never asked for (also in `sql --out` files).
      await session.queryAsync('SET output_format_pretty_color = 0, output_format_pretty_glue_chunks = 0', { format: 'TSV' });
      const run = async (s: string, params?: Record<string, unknown>) =>
        (params ? await session.queryBindAsync(s, params, { format: 'TSVRaw' }) : await session.queryAsync(s, { format: 'TSVRaw' })).text();
      const checked = await checkReadOnly(sql, run, { limits: options.limits, marker, names: await this.engineNames(run) });
      if (options.signal?.aborted) throw new AppError('query_limit', ['the client went away before the query started']);
      try {
        return Buffer.from((await session.queryAsync(checked.sql, { format: checked.format ?? format })).bytes());
      } catch (err) {
        // Any engine error code is about this query; without one the engine itself failed.
        throw userQueryError(err) ?? new AppError('store_unavailable', [engineMessage(err)], { cause: err });
      }
    } finally {
      running = false;
      options.signal?.removeEventListener('abort', onAbort);
      session.close();
    }
  }

  /** Kills the query tagged `marker`, again while it runs: it may not have been listed yet. */
  private async killWhile(marker: string, running: () => boolean): Promise<void> {
    const session = new Session(this.dir);
    try {
      while (running()) {
        await session.queryAsync(`KILL QUERY WHERE query LIKE ${stringLiteral(`%${marker}%`)} AND query NOT LIKE 'KILL%' ASYNC`, { format: 'Null' }).catch(() => undefined);
        await sleep(KILL_RETRY_MS);
      }
    } finally {
      session.close();
    }
  }

  async ping(): Promise<void> {
    await this.session.queryAsync('SELECT 1', { format: 'TSV' });
  }

  private async run(sql: string, params?: Record<string, unknown>): Promise<string> {
    const result = params ? await this.session.queryBindAsync(sql, params, { format: 'TSVRaw' }) : await this.session.queryAsync(sql, { format: 'TSVRaw' });
    return result.text();
  }

  async close(): Promise<void> {
    this.keyCheckSession.close();
    this.session.close();
  }
}
