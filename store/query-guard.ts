// What a user's query may call and read, checked on the engine's own AST (EXPLAIN AST lines).
// Scalar functions that reach outside the engine are few and named, so they are listed. Table
// functions are many, and each engine release adds integrations (s3, mysql, ytsaurus...), so
// they are refused unless allowed by name. The engine's own lists tell which names are table
// functions, so one that is used outside FROM (`x IN remote(...)`) is caught as well.
import { AppError } from '../core/errors.js';

/** Table functions that compute rows in memory; view()'s query is in the AST and checked too. */
const ALLOWED_TABLE_FUNCTIONS = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'values', 'generateseries', 'generate_series', 'primes', 'view']);

// Scalar functions with access to files, the network, other processes' data or the engine's
// internals. Lower case: the check compares names case-insensitively.
const DENIED_FUNCTIONS = new Set([
  'file',
  'filesystemavailable',
  'filesystemcapacity',
  'filesystemunreserved',
  'catboostevaluate',
  'evalmlmethod',
  'modelevaluate',
  'addresstoline',
  'addresstolinewithinlines',
  'addresstosymbol',
  'demangle',
  'generateserialid',
  'showcertificate',
  'zookeepersessionuptime',
  'joinget',
  'joingetornull',
]);
/** Families denied by prefix: dictionaries (their sources can be files, URLs or executables). */
const DENIED_PREFIXES = ['dict'];

// System tables that only describe the engine and the schema. The others can show other
// sessions' query text (processes, query_log: the consumer's inserts carry customer data),
// credentials (named_collections, users) or the machine (disks, stack_trace).
const ALLOWED_SYSTEM_TABLES = new Set([
  'one',
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'primes',
  'databases',
  'tables',
  'columns',
  'parts',
  'parts_columns',
  'projections',
  'data_skipping_indices',
  'settings',
  'merge_tree_settings',
  'server_settings',
  'settings_changes',
  'functions',
  'table_functions',
  'table_engines',
  'database_engines',
  'formats',
  'data_type_families',
  'aggregate_function_combinators',
  'collations',
  'time_zones',
  'build_options',
  'contributors',
  'licenses',
  'keywords',
  'merges',
  'mutations',
  'metrics',
  'events',
  'asynchronous_metrics',
  'codecs',
]);

/** Names the engine knows, lower case: its table functions, and its ordinary functions. */
export interface EngineNames {
  tableFunctions: Set<string>;
  functions: Set<string>;
}

/** SQL that lists EngineNames, as `kind<TAB>name` rows. */
export const ENGINE_NAMES_SQL = "SELECT 't', lower(name) FROM system.table_functions UNION ALL SELECT 'f', lower(name) FROM system.functions";

export function parseEngineNames(tsv: string): EngineNames {
  const names: EngineNames = { tableFunctions: new Set(), functions: new Set() };
  for (const line of tsv.split('\n')) {
    const [kind, name] = line.split('\t');
    if (name) (kind === 't' ? names.tableFunctions : names.functions).add(name);
  }
  return names;
}

const refuse = (what: string) => new AppError('query_refused', [what]);

/** Throws query_refused for the first function or table of the AST that the API must not reach. */
export function checkReachable(ast: readonly string[], names: EngineNames): void {
  ast.forEach((line, i) => {
    const fn = /^(\s*)Function (\S+)/.exec(line);
    if (fn) {
      const name = fn[2]!.toLowerCase();
      const parent = ast[i - 1]?.trim() ?? '';
      // In FROM, a name that is no table function is a parameterized view (aksita.daily_agent_summary(...)).
      const asTable = names.tableFunctions.has(name) && (parent.startsWith('TableExpression') || !names.functions.has(name));
      if (parent.startsWith('TableExpression') && !asTable) return;
      if (asTable && !ALLOWED_TABLE_FUNCTIONS.has(name)) throw refuse(`the table function ${fn[2]}() is not allowed (files, network and other databases are out of reach)`);
      if (!asTable && (DENIED_FUNCTIONS.has(name) || DENIED_PREFIXES.some((p) => name.startsWith(p)))) {
        throw refuse(`the function ${fn[2]}() is not allowed (files, network, dictionaries and the engine's internals are out of reach)`);
      }
      return;
    }
    // A table name, or one on the right of IN: "system.processes", maybe back-quoted.
    const table = /^\s*(?:Table)?Identifier `?system`?\.`?(\w+)`?/i.exec(line);
    if (table && !ALLOWED_SYSTEM_TABLES.has(table[1]!.toLowerCase())) throw refuse(`the table system.${table[1]} is not allowed (it can show other sessions' queries or secrets)`);
  });
}
