// Turns a user's SQL into a statement that can only read, using the engine's own parser
// rather than pattern matching on SQL text:
//   1. formatQuerySingleLine() parses it and refuses multi-statements ("SELECT 1; DROP ...")
//      which the engine would otherwise run one after the other;
//   2. EXPLAIN AST names the statement kind and shows every SETTINGS clause (a "Set" node);
//   3. SELECTs run with readonly = 1 appended, which also blocks table functions such as
//      file() or url(), and no user SETTINGS clause is allowed to switch it back.
import { AppError } from '../core/errors.js';

/** Runs one trusted statement and returns its text output (TSVRaw). */
export type RawRunner = (sql: string, params?: Record<string, unknown>) => Promise<string>;

export interface CheckedQuery {
  /** The statement to run, without a FORMAT clause. */
  sql: string;
  /** The FORMAT the user wrote inside the query, if any. */
  format: string | undefined;
}

const META_KINDS = new Set(['ShowTables', 'DescribeQuery', 'ExistsTableQuery', 'ShowCreateTableQuery']);
const MAX_EXECUTION_SECONDS = 120;
const SYNTAX_ERROR = 62;

export async function checkReadOnly(userSql: string, run: RawRunner): Promise<CheckedQuery> {
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
    return { sql: formatted, format: undefined };
  }
  if (kind !== 'SelectWithUnionQuery') {
    throw new AppError('query_refused', [`${kind || 'this statement'} is not a SELECT, SHOW, DESCRIBE or EXISTS`]);
  }
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
  return { sql: `${sql} SETTINGS max_execution_time = ${MAX_EXECUTION_SECONDS}, readonly = 1`, format };
}

/** The engine's message without the stack-trace noise, for error replies. */
export function engineMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // chDB repeats the prefix when it wraps the engine's exception.
  return message.replace(/^(Code: \d+\. DB::Exception: )+/, '').split('\n')[0]!.slice(0, 500);
}

/** ClickHouse's numeric error code, from either chDB or @clickhouse/client errors. */
export function engineErrorCode(err: unknown): number | undefined {
  const e = err as { clickhouseCode?: unknown; code?: unknown };
  if (typeof e?.clickhouseCode === 'number') return e.clickhouseCode;
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code);
  return undefined;
}
