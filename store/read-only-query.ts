// Turns a user's SQL into a statement that can only read, using the engine's own parser
// rather than pattern matching on SQL text:
//   1. formatQuerySingleLine() parses it and refuses multi-statements ("SELECT 1; DROP ...")
//      which the engine would otherwise run one after the other;
//   2. EXPLAIN AST names the statement kind and shows every SETTINGS clause (a "Set" node);
//   3. every function and table in the AST is checked against what the API may reach
//      (query-guard.ts): readonly = 1 blocks table functions but not the scalar file();
//   4. SELECTs run with readonly = 1 and the API's limits appended; no user SETTINGS clause
//      is allowed, and readonly forbids SET, so none of them can be raised.
import { AppError } from '../core/errors.js';
import { checkReachable, ENGINE_NAMES_SQL, parseEngineNames, type EngineNames } from './query-guard.js';

/** Runs one trusted statement and returns its text output (TSVRaw). */
export type RawRunner = (sql: string, params?: Record<string, unknown>) => Promise<string>;

export interface CheckedQuery {
  /** The statement to run, without a FORMAT clause, with the SETTINGS below appended. */
  sql: string;
  /** The FORMAT the user wrote inside the query, if any. */
  format: string | undefined;
  /** The settings appended to `sql`, for a server that takes them per request too. */
  settings: Record<string, string | number>;
}

/** What one user query may use (QUERY_TIMEOUT_SECONDS, QUERY_MAX_MEMORY_MB, QUERY_MAX_RESULT_MB). */
export interface QueryLimits {
  timeoutSeconds: number;
  maxMemoryBytes: number;
  maxResultBytes: number;
}

const MIB = 1024 * 1024;
export const DEFAULT_LIMITS: QueryLimits = { timeoutSeconds: 30, maxMemoryBytes: 1024 * MIB, maxResultBytes: 256 * MIB };

export interface CheckOptions {
  limits?: QueryLimits;
  /** A tag for the statement's text, so that it can be found in system.processes to be killed. */
  marker?: string;
  /** The engine's function names; loaded with `run` when not given. */
  names?: EngineNames;
}

/**
 * The engine limits of one API query or export. At most two threads at the lowest CPU priority
 * (where the process may lower it): on a small machine the receiver's one thread must keep a
 * core, and webhooks come before analytics (Aksita does not retry).
 */
export function engineLimits(limits: QueryLimits): Record<string, number> {
  return { max_execution_time: limits.timeoutSeconds, max_memory_usage: limits.maxMemoryBytes, max_threads: 2, os_threads_nice_value_query: 19 };
}

/** The settings every user query runs with; readonly last, as it forbids changing any after it. */
export function limitSettings(limits: QueryLimits, marker?: string): Record<string, string | number> {
  return {
    ...engineLimits(limits),
    max_result_bytes: limits.maxResultBytes,
    result_overflow_mode: 'throw',
    ...(marker ? { log_comment: marker } : {}),
    readonly: 1,
  };
}

const settingsClause = (settings: Record<string, string | number>) =>
  Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : `'${v.replace(/[^\w:-]/g, '')}'`}`)
    .join(', ');

/** Loads the engine's function names once per runner's store. */
export async function loadEngineNames(run: RawRunner): Promise<EngineNames> {
  return parseEngineNames(await run(ENGINE_NAMES_SQL));
}

const META_KINDS = new Set(['ShowTables', 'DescribeQuery', 'ExistsTableQuery', 'ShowCreateTableQuery']);
const SYNTAX_ERROR = 62;

export async function checkReadOnly(userSql: string, run: RawRunner, options: CheckOptions = {}): Promise<CheckedQuery> {
  if (userSql.trim() === '') throw new AppError('query_invalid', ['the query is empty']);
  let formatted: string;
  try {
    formatted = (await run('SELECT formatQuerySingleLine({q:String})', { q: userSql })).trim();
  } catch (err) {
    throw new AppError('query_invalid', [engineMessage(err)], { cause: err });
  }
  let ast: string[];
  try {
    ast = (await run(`EXPLAIN AST ${formatted}`)).split('\n');
  } catch (err) {
    // Parsed once above, so a syntax error here is a limit of the parser's, such as
    // max_query_size once the query is formatted. Anything else (a lost connection) is not the query's fault.
    if (engineErrorCode(err) !== SYNTAX_ERROR) throw err;
    throw new AppError('query_invalid', [engineMessage(err)], { cause: err });
  }
  const kind = ast[0]?.trim().split(/\s+/)[0] ?? '';
  if (ast.some((line) => /^\s*Set\b/.test(line))) {
    throw new AppError('query_refused', ['SETTINGS clauses are not allowed in read-only queries']);
  }
  if (META_KINDS.has(kind)) {
    if (ast.some((line) => /^\s*Function\b/.test(line) && kind === 'DescribeQuery')) {
      throw new AppError('query_refused', ['DESCRIBE of a table function is not allowed']);
    }
    return { sql: formatted, format: undefined, settings: {} };
  }
  if (kind !== 'SelectWithUnionQuery') {
    throw new AppError('query_refused', [`${kind || 'this statement'} is not a SELECT, SHOW, DESCRIBE or EXISTS`]);
  }
  checkReachable(ast, options.names ?? (await loadEngineNames(run)));
  // Children of SelectWithUnionQuery: the selects (ExpressionList) and, when present, the
  // FORMAT (an Identifier). Anything else, such as INTO OUTFILE's file name, is refused.
  let sql = formatted;
  let format: string | undefined;
  const top = ast.filter((line) => /^ \S/.test(line));
  const extra = top.find((line) => !line.startsWith(' ExpressionList') && !line.startsWith(' Identifier '));
  if (extra) throw new AppError('query_refused', ['only plain SELECTs are allowed (no INTO OUTFILE)']);
  if (top.some((line) => line.startsWith(' Identifier '))) {
    const m = /^(.*) FORMAT (\w+)$/.exec(formatted);
    if (!m) throw new AppError('query_refused', ['the FORMAT clause could not be separated; use --format instead']);
    sql = m[1]!;
    format = m[2];
  }
  const settings = limitSettings(options.limits ?? DEFAULT_LIMITS, options.marker);
  return { sql: `${sql} SETTINGS ${settingsClause(settings)}`, format, settings };
}

const READONLY = 164;
// TOO_MANY_ROWS, TIMEOUT_EXCEEDED, TOO_SLOW, MEMORY_LIMIT_EXCEEDED, TOO_MANY_BYTES,
// QUERY_WAS_CANCELLED, TOO_MANY_ROWS_OR_BYTES (ClickHouse src/Common/ErrorCodes.cpp).
const LIMIT_CODES = new Set([158, 159, 160, 241, 307, 394, 396]);

/** A user query's failure in the catalogue's terms; `undefined` when the engine gave no code. */
export function userQueryError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const code = engineErrorCode(err);
  if (code === undefined) return undefined;
  if (code === READONLY) return new AppError('query_refused', [engineMessage(err)], { cause: err });
  if (LIMIT_CODES.has(code)) return new AppError('query_limit', [engineMessage(err)], { cause: err });
  return new AppError('query_invalid', [engineMessage(err)], { cause: err });
}

/** The engine's message without the stack-trace noise, for error replies. */
export function engineMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // chDB repeats the prefix when it wraps the engine's exception.
  return message
    .replace(/^(Code: \d+\. DB::Exception: )+/, '')
    .split('\n')[0]!
    .slice(0, 500);
}

/** ClickHouse's numeric error code, from either chDB or @clickhouse/client errors. */
export function engineErrorCode(err: unknown): number | undefined {
  const e = err as { clickhouseCode?: unknown; code?: unknown };
  if (typeof e?.clickhouseCode === 'number') return e.clickhouseCode;
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code);
  return undefined;
}
