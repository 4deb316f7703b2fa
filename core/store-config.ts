// The store's settings: a ClickHouse server (else chDB under DATA_DIR), how long data is kept,
// and the admin endpoint's token. Part of the one configuration schema (config.ts).
import { z } from 'zod';
import { AppError } from './errors.js';
import { int } from './env-values.js';

export const clickhouseEnv = {
  /** ClickHouse server, http(s)://host:port; unset runs chDB under DATA_DIR instead. */
  CLICKHOUSE_URL: z.string().refine(isPlainHttpUrl, { message: 'expected http(s)://host:port, e.g. http://clickhouse:8123 (user, password and database have their own variables)' }).optional(),
  /** ClickHouse user (server mode only). @default default */
  CLICKHOUSE_USER: z.string().min(1).default('default'),
  /** ClickHouse password (server mode only). @default empty */
  CLICKHOUSE_PASSWORD: z.string().optional(),
  /**
   * The connection's current database: what unqualified table names in `sql`, /api/query and
   * reports resolve to (server mode only). The schema always lives in `aksita`; this never moves it.
   * @default the user's default database on the server
   */
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'expected a database name: letters, digits and "_"' })
    .optional(),
  /** Cluster name (or a {macro}) from the server's remote_servers: DDL runs ON CLUSTER on replicated tables. Unset: one server. */
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z0-9_.{}-]{1,128}$/, { message: 'expected a cluster name from remote_servers, or a macro such as {cluster}' })
    .optional(),
};

// Operating the data (README, "Operating the data"): retention and the admin endpoint.
export const dataOpsEnv = {
  /** Days replies, dead letters and rollups are kept (ClickHouse TTL, by event or receipt time); unset: forever. */
  RETENTION_DAYS: int(1, 100_000).optional(),
  /** Days after which raw_body alone is cleared (column TTL) while analytic columns stay; unset: kept as long as the row. */
  RAW_BODY_DAYS: int(1, 100_000).optional(),
  /** Bearer token of the admin endpoints (/api/admin/*: erase, dead-letter replay, backup); generated into DATA_DIR/run/admin-token when unset. */
  ADMIN_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
};

type StoreEnv = z.output<z.ZodObject<typeof clickhouseEnv & typeof dataOpsEnv>>;

function isPlainHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash;
  } catch {
    return false;
  }
}

export interface RetentionConfig {
  days: number | undefined;
  rawBodyDays: number | undefined;
}

export interface ClickHouseConfig {
  url: string;
  user: string;
  password: string;
  /** The connection's current database; undefined = the user's default on the server. */
  database: string | undefined;
  /** Replicated tables and ON CLUSTER DDL on this cluster; undefined = one server. */
  cluster: string | undefined;
}

export function toClickHouseConfig(e: StoreEnv): ClickHouseConfig | undefined {
  if (e.CLICKHOUSE_CLUSTER && !e.CLICKHOUSE_URL) {
    throw new AppError('config_invalid', [`  CLICKHOUSE_CLUSTER=${JSON.stringify(e.CLICKHOUSE_CLUSTER)}: expected CLICKHOUSE_URL to be set too (the embedded chDB store has no cluster)`]);
  }
  if (!e.CLICKHOUSE_URL) return undefined;
  return { url: e.CLICKHOUSE_URL, user: e.CLICKHOUSE_USER, password: e.CLICKHOUSE_PASSWORD ?? '', database: e.CLICKHOUSE_DATABASE, cluster: e.CLICKHOUSE_CLUSTER };
}

export function toRetention(e: StoreEnv): RetentionConfig {
  if (e.RETENTION_DAYS !== undefined && e.RAW_BODY_DAYS !== undefined && e.RAW_BODY_DAYS > e.RETENTION_DAYS) {
    throw new AppError('config_invalid', [`  RAW_BODY_DAYS=${e.RAW_BODY_DAYS}: expected at most RETENTION_DAYS (${e.RETENTION_DAYS}); the whole row is gone by then`]);
  }
  return { days: e.RETENTION_DAYS, rawBodyDays: e.RAW_BODY_DAYS };
}
