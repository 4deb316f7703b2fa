// The read API's settings: its own listener, its token, and what one query may use. Part of the
// one configuration schema (config.ts).
import { z } from 'zod';
import { int } from './env-values.js';

const MIB = 1024 * 1024;

export const queryEnv = {
  /** Bearer token of the read-only query endpoint; generated into DATA_DIR when unset. */
  QUERY_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
  /** Interface of the read API (/api/query, /api/reports, /metrics): loopback unless you put it behind something. @default 127.0.0.1 */
  QUERY_HOST: z.string().min(1).default('127.0.0.1'),
  /** Port of the read API, never the receiver's. @default 3001 (0 picks a free port) */
  QUERY_PORT: int(0, 65535).default(3001),
  /** Longest one API query may run. @default 30 */
  QUERY_TIMEOUT_SECONDS: int(1, 3_600).default(30),
  /** Memory one API query may use, in MiB. @default 1024 */
  QUERY_MAX_MEMORY_MB: int(16, 1_048_576).default(1_024),
  /** Largest result one API query may return, in MiB. @default 256 */
  QUERY_MAX_RESULT_MB: int(1, 1_048_576).default(256),
  /** API queries that may run at once; more are answered 429. @default 2 */
  QUERY_MAX_CONCURRENT: int(1, 64).default(2),
};

/** The read API's listener and what one query may use, as the engine takes it (bytes, seconds). */
export const toQueryConfig = (e: z.output<z.ZodObject<typeof queryEnv>>) => ({
  host: e.QUERY_HOST,
  port: e.QUERY_PORT,
  timeoutSeconds: e.QUERY_TIMEOUT_SECONDS,
  maxMemoryBytes: e.QUERY_MAX_MEMORY_MB * MIB,
  maxResultBytes: e.QUERY_MAX_RESULT_MB * MIB,
  maxConcurrent: e.QUERY_MAX_CONCURRENT,
});

export type QueryConfig = ReturnType<typeof toQueryConfig>;
