// What Grafana and the ClickHouse plugin do to a panel's rawSql before ClickHouse sees it, in
// the same order; the live page's server (live/) runs panels through it, and the dashboard tests
// prove the SQL with it:
//   1. front end, CHDatasource.applyConditionalAll: `$__conditionalAll(cond, $var)` -> `1=1`
//      when the variable is All or empty, else `cond` (before variables are substituted);
//   2. front end, templateSrv.replace: `$var`, `${var}`, `${var:format}`;
//   3. back end, pkg/macros/macros.go (plugin v4.19+): $__timeFilter and friends.
// Anything left that looks like a macro or variable is an error, so a panel cannot ship SQL
// that only works here. Values are formatted as Grafana does (singlequote escapes quotes, not
// backslashes): callers that take values from a request must restrict them first (live/).

export interface ExpandContext {
  /** Range start and end, epoch milliseconds. */
  fromMs: number;
  toMs: number;
  /** The query interval Grafana would send (range / max data points, rounded), milliseconds. */
  intervalMs: number;
  /** Selected values per multi-value variable; 'All' selects every option. */
  variables: Record<string, readonly string[] | 'All'>;
  /** Every option of each variable (what All expands to where All is not short-circuited). */
  options?: Record<string, readonly string[]>;
}

const toDateTime = (ms: number) => `toDateTime(${Math.floor(ms / 1000)})`;
const toDateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${Math.trunc(ms)})`;
const isoDate = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;
const intervalSeconds = (c: ExpandContext) => Math.max(Math.floor(c.intervalMs / 1000), 1);

type Macro = (args: string[], c: ExpandContext) => string;

function range(name: string, args: string[], lo: string, hi: string): string {
  if (args.length !== 1) throw new Error(`$__${name} expects 1 argument, got ${args.length}`);
  return `${args[0]} >= ${lo} AND ${args[0]} <= ${hi}`;
}

const MACROS: Record<string, Macro> = {
  fromTime: (_a, c) => toDateTime(c.fromMs),
  toTime: (_a, c) => toDateTime(c.toMs),
  fromTime_ms: (_a, c) => toDateTime64(c.fromMs),
  toTime_ms: (_a, c) => toDateTime64(c.toMs),
  timeFilter: (a, c) => range('timeFilter', a, toDateTime(c.fromMs), toDateTime(c.toMs)),
  timeFilter_ms: (a, c) => range('timeFilter_ms', a, toDateTime64(c.fromMs), toDateTime64(c.toMs)),
  dateFilter: (a, c) => range('dateFilter', a, isoDate(c.fromMs), isoDate(c.toMs)),
  timeInterval: (a, c) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${intervalSeconds(c)} second)`,
  timeInterval_ms: (a, c) => `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(Math.trunc(c.intervalMs), 1)} millisecond)`,
  interval_s: (_a, c) => String(intervalSeconds(c)),
};

function one(name: string, args: string[]): string {
  if (args.length !== 1) throw new Error(`$__${name} expects 1 argument, got ${args.length}`);
  return args[0]!;
}

/** Splits the parenthesised argument list starting at `open` (a '('); returns args and the index after ')'. */
function readArgs(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i));
        return { args, end: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  throw new Error(`unbalanced parentheses after position ${open} in: ${sql}`);
}

function applyConditionalAll(sql: string, c: ExpandContext): string {
  const macro = '$__conditionalAll(';
  for (let at = sql.lastIndexOf(macro); at !== -1; at = sql.lastIndexOf(macro)) {
    const { args, end } = readArgs(sql, at + macro.length - 1);
    if (args.length !== 2) throw new Error(`$__conditionalAll expects 2 arguments, got ${args.length}`);
    const name = /^\$\{?(\w+)\}?$/.exec(args[1]!.trim())?.[1];
    if (!name) throw new Error(`$__conditionalAll's second argument must be a variable, got ${args[1]}`);
    const selected = c.variables[name];
    if (selected === undefined) throw new Error(`$__conditionalAll names an unknown variable ${name}`);
    const all = selected === 'All' || selected.length === 0;
    sql = sql.slice(0, at) + (all ? '1=1' : args[0]!) + sql.slice(end);
  }
  return sql;
}

function formatValues(values: readonly string[], format: string | undefined): string {
  switch (format) {
    // The plugin's own formatter (CHDatasource.format): quotes, but does not escape.
    case undefined:
      return `'${values.join("','")}'`;
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'csv':
      return values.join(',');
    case 'raw':
      return values.join(',');
    default:
      throw new Error(`variable format ${format} is not supported by this expander`);
  }
}

function substituteVariables(sql: string, c: ExpandContext): string {
  return sql.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (match, braced?: string, format?: string, bare?: string) => {
    const name = braced ?? bare!;
    if (name.startsWith('__')) return match; // a macro, for the back end
    const selected = c.variables[name];
    if (selected === undefined) throw new Error(`unknown template variable $${name}`);
    const values = selected === 'All' ? (c.options?.[name] ?? []) : selected;
    return formatValues(values, format);
  });
}

function expandMacros(sql: string, c: ExpandContext): string {
  // Longest names first, so $__timeFilter never claims the start of $__timeFilter_ms.
  const names = Object.keys(MACROS).sort((a, b) => b.length - a.length);
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const at = sql.indexOf('$__', i);
    if (at === -1) break;
    out += sql.slice(i, at);
    const name = names.find((n) => sql.startsWith(n, at + 3) && !/\w/.test(sql[at + 3 + n.length] ?? ''));
    if (!name) throw new Error(`unknown macro at: ${sql.slice(at, at + 30)}`);
    let end = at + 3 + name.length;
    let args: string[] = [];
    if (sql[end] === '(') {
      const read = readArgs(sql, end);
      args = read.args.map((a) => a.trim());
      end = read.end;
    }
    out += MACROS[name]!(args, c);
    i = end;
  }
  return out + sql.slice(i);
}

/** The SQL ClickHouse would receive for `rawSql` under this range, interval and selection. */
export function expandQuery(rawSql: string, c: ExpandContext): string {
  return expandMacros(substituteVariables(applyConditionalAll(rawSql, c), c), c);
}
