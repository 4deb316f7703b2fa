// The store on a ClickHouse server, through @clickhouse/client (HTTP). Same interface, same
// migrations and the same SQL as chdb-store.ts; test/store/store-contract.ts holds both to it.
// Query results are the bytes the server wrote in the caller's format, as with chDB.
import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { createServerClient, execBody, guardSettings, unavailable, type ExecOptions } from './clickhouse-http.js';
import { clusterRunner } from './cluster-ddl.js';
import { applyMigrations } from './migrate.js';
import { DEAD_LETTERS_TABLE, REPLIES_TABLE } from './migrations.js';
import { randomUUID } from 'node:crypto';
import { checkReadOnly, engineErrorCode, engineLimits, engineMessage, userQueryError, type QueryLimits } from './read-only-query.js';
import type { InsertPayload } from './insert-payload.js';
import { StoreBase } from './store-base.js';
import { replyKeysOf, type QueryOptions, type ReadOnlyOptions, type ReplyKey, type Store } from './store.js';

export class ClickHouseServerStore extends StoreBase implements Store {
  readonly kind = 'clickhouse' as const;

  private constructor(
    private readonly client: ClickHouseClient,
    private readonly config: ClickHouseConfig,
  ) {
    super();
  }

  /** Creates the client; nothing is sent until the first call (migrate or ping). `limits`: for an export's store. */
  static open(config: ClickHouseConfig, limits?: QueryLimits): ClickHouseServerStore {
    return new ClickHouseServerStore(createServerClient(config, config.database, limits && engineLimits(limits)), config);
  }

  /**
   * Runs on a client with no current database: every statement names `aksita.` itself, and
   * CLICKHOUSE_DATABASE=aksita must work before `aksita` exists. With CLICKHOUSE_CLUSTER the
   * statements are rewritten for replicated tables (cluster-ddl.ts).
   */
  async migrate(): Promise<number[]> {
    const ddl = createServerClient(this.config, undefined);
    try {
      const run = async (sql: string) => (await this.buffered(sql, { format: 'TSVRaw' }, ddl)).toString('utf8');
      return await applyMigrations(clusterRunner(run, this.config.cluster));
    } finally {
      await ddl.close();
    }
  }

  async storedReplyKeys(keys: readonly ReplyKey[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // message_id IN (...) uses the bloom-filter index; the pair is then matched exactly here.
    // A batch's ids can outgrow a URL: multipart carries large parameter lists in the body.
    let text: string;
    try {
      const result = await this.client.query({
        query: `SELECT agent, message_id FROM ${REPLIES_TABLE}
       WHERE message_id IN {ids:Array(String)} AND agent IN {agents:Array(String)}`,
        query_params: { ids: [...new Set(keys.map((k) => k.message_id))], agents: [...new Set(keys.map((k) => k.agent))] },
        format: 'JSONCompactEachRow',
        use_multipart_params_auto: true,
      });
      text = await result.text();
    } catch (err) {
      throw engineErrorCode(err) !== undefined ? err : unavailable(this.config.url, err);
    }
    return replyKeysOf(text);
  }

  async storedDeadLetterOffsets(queueName: string, partition: number, offsets: readonly number[]): Promise<Set<number>> {
    if (offsets.length === 0) return new Set();
    const out = await this.text(
      `SELECT toString(queue_offset) FROM ${DEAD_LETTERS_TABLE}
       WHERE queue_name = {q:String} AND queue_partition = {p:UInt32} AND queue_offset IN {o:Array(UInt64)}`,
      { q: queueName, p: partition, o: offsets },
    );
    return new Set(out.split('\n').filter(Boolean).map(Number));
  }

  protected async send<Row extends object>(table: string, payload: InsertPayload<Row>): Promise<void> {
    const settings: ClickHouseSettings = {
      ...payload.settings,
      // A user profile may turn async inserts on; their deduplication works differently, and
      // the consumer commits offsets only after the insert is really stored.
      async_insert: 0,
      // On a cluster, the insert returns once a majority of replicas have the part, so losing
      // one replica right after the consumer committed its offset loses nothing.
      ...(this.config.cluster ? { insert_quorum: 'auto' as const } : {}),
    };
    try {
      await this.client.insert({
        table,
        values: Readable.from([payload.values]),
        format: 'TabSeparated',
        columns: payload.columns,
        clickhouse_settings: settings,
      });
    } catch (err) {
      throw unavailable(this.config.url, err);
    }
  }

  query(sql: string, options: QueryOptions): Promise<Buffer> {
    return this.buffered(sql, options);
  }

  queryStream(sql: string, options: QueryOptions): AsyncIterable<Uint8Array> {
    return execBody(this.client, this.config.url, sql, options);
  }

  async readOnlyQuery(sql: string, format: string, options: ReadOnlyOptions = {}): Promise<Buffer> {
    // The guard reports any failure of its own queries as invalid SQL; an unreachable server
    // is not the user's fault, so that error is kept and reported as what it is.
    let down: unknown;
    const run = (s: string, params?: Record<string, unknown>) =>
      this.text(s, params).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'store_unavailable') down ??= err;
        throw err;
      });
    const queryId = `api-${randomUUID()}`;
    // The server stops a query when its HTTP client leaves only if told to; KILL makes sure.
    const onAbort = () => void this.text('KILL QUERY WHERE query_id = {id:String} ASYNC', { id: queryId }).catch(() => undefined);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const checked = await checkReadOnly(sql, run, { limits: options.limits, names: await this.engineNames(run) }).catch((err: unknown) => {
        throw down ?? err;
      });
      // readonly also at request level, where the server applies it before parsing the SQL.
      const settings = { ...guardSettings(checked.sql), cancel_http_readonly_queries_on_client_close: 1 as const };
      return await this.buffered(checked.sql, { format: checked.format ?? format, settings, queryId, signal: options.signal });
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw userQueryError(err) ?? new AppError('query_invalid', [engineMessage(err)], { cause: err });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async ping(): Promise<void> {
    // A query rather than /ping: it also proves the credentials and CLICKHOUSE_DATABASE work.
    await this.text('SELECT 1');
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Runs one statement and returns its TSVRaw output. */
  private async text(sql: string, params?: Record<string, unknown>): Promise<string> {
    return (await this.buffered(sql, { format: 'TSVRaw', params })).toString('utf8');
  }

  /**
   * The whole result. wait_end_of_query: the server buffers it, so an error mid-query is an
   * HTTP error status rather than text appended to a 200 body.
   */
  private async buffered(sql: string, options: ExecOptions, client = this.client): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const settings: ClickHouseSettings = { ...options.settings, wait_end_of_query: 1 };
    for await (const chunk of execBody(client, this.config.url, sql, { ...options, settings })) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}
