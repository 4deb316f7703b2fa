// The HTTP side of the server store: the client, and the raw response body of one statement,
// with the parts of ClickHouse's HTTP interface that chDB does not have (network failures,
// exceptions after the response started, request-level settings).
import type { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, extractErrorAtTheEndOfChunk, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { engineErrorCode, engineMessage } from './read-only-query.js';
import type { QueryOptions } from './store.js';

/** QueryOptions plus request-level settings, the query's id and a signal that cancels it. */
export type ExecOptions = QueryOptions & { settings?: ClickHouseSettings; queryId?: string; signal?: AbortSignal };

const EXCEPTION_TAG_HEADER = 'x-clickhouse-exception-tag';
// Longer than any QUERY_TIMEOUT_SECONDS would be impractical; the client waits longer than the
// server's own limit, so that the server is what ends a slow query, with its message.
const REQUEST_TIMEOUT_MS = 3_700_000;

export function createServerClient(config: ClickHouseConfig, database: string | undefined, settings: ClickHouseSettings = {}): ClickHouseClient {
  return createClient({
    url: config.url,
    username: config.user,
    password: config.password,
    // Unset: the server's default database for this user (the client then sends none).
    database,
    application: 'aksita-reply-analytics',
    request_timeout: REQUEST_TIMEOUT_MS,
    // Every failure reaches the caller as an error and is logged once, by our logger; the
    // client's own console output would repeat it unstructured.
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: {
      // Progress headers keep a long query's idle connection alive through proxies.
      send_progress_in_http_headers: 1,
      http_headers_progress_interval_ms: '110000',
      ...settings,
    },
  });
}

/** A failure to reach the server, for logs and replies: names the server, never the password. */
export function unavailable(url: string, err: unknown): AppError {
  return new AppError('store_unavailable', [`ClickHouse at ${url}: ${engineMessage(err)}`], { cause: err, retriable: true });
}

/**
 * The response body of one statement as it arrives. The caller's format is the server's
 * default_format, so a FORMAT clause in the SQL still wins, as in chDB. The last two chunks are
 * held back: since 25.11 a server that fails after it started sending appends a tagged
 * exception (x-clickhouse-exception-tag), which must become an error, not data.
 * Errors: the server's own (with its numeric code) pass through; anything else is store_unavailable.
 */
export async function* execBody(client: ClickHouseClient, url: string, sql: string, options: ExecOptions): AsyncGenerator<Buffer> {
  let response;
  try {
    response = await client.exec({
      query: sql,
      query_params: options.params,
      ...(options.queryId ? { query_id: options.queryId } : {}),
      ...(options.signal ? { abort_signal: options.signal } : {}),
      clickhouse_settings: { ...options.settings, default_format: options.format as ClickHouseSettings['default_format'] },
    });
  } catch (err) {
    throw engineErrorCode(err) !== undefined ? err : unavailable(url, err);
  }
  const header = response.response_headers[EXCEPTION_TAG_HEADER];
  const tag = Array.isArray(header) ? header[0] : header;
  const held: Buffer[] = [];
  try {
    for await (const chunk of response.stream as Readable) {
      held.push(chunk as Buffer);
      if (held.length > 2) yield held.shift()!;
    }
  } catch (err) {
    throw unavailable(url, err); // the connection broke mid-response
  }
  const tail = Buffer.concat(held);
  if (tag && tail.subarray(-64).toString('latin1').endsWith(`${tag}\r\n__exception__\r\n`)) {
    throw extractErrorAtTheEndOfChunk(tail, tag);
  }
  if (tail.length > 0) yield tail;
}

/**
 * The read-only guard's trailing "SETTINGS a = 1, b = 2" clause as request settings, with
 * readonly = 1 always among them. The server applies request settings before it parses the
 * SQL, and in readonly mode a query may not change any setting, even to a stricter value, so
 * the two must agree exactly.
 */
export function guardSettings(checkedSql: string): ClickHouseSettings {
  const settings: Record<string, string> = { readonly: '1' };
  const pair = String.raw`\w+ = (?:\w+|'[\w:-]*')`;
  const clause = new RegExp(` SETTINGS (${pair}(?:, ${pair})*)$`).exec(checkedSql)?.[1];
  for (const item of clause?.split(', ') ?? []) {
    const [name, value] = item.split(' = ') as [string, string];
    settings[name] = value.replace(/^'(.*)'$/, '$1');
  }
  if (settings.readonly !== '1') throw new AppError('query_refused', ['the read-only guard did not set readonly = 1']);
  return settings as ClickHouseSettings;
}
