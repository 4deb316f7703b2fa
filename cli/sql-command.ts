// `reply-analytics sql ["<query>"]`: read-only SQL against the data, through the running
// process when one holds DATA_DIR (chDB allows one process per directory), directly otherwise.
// Without a query on a terminal it opens the interactive console (reports/sql-console.ts).
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { awaitRunningServer } from '../core/run-files.js';
import { writeFileAtomically } from '../reports/atomic-file.js';
import { sqlConsole } from '../reports/sql-console.js';
import { escapeForTerminal, terminalText } from '../reports/terminal-text.js';
import { UsageError, type Command } from './command.js';
import { checkOutputPath } from './output-path.js';
import { openQueryStore } from './query-store.js';
import { tokenForServer, tokenRefused } from './server-token.js';

export const DEFAULT_SQL_FORMAT = 'PrettyCompactMonoBlock';

export async function runSql(config: Config, query: string, format: string): Promise<Buffer> {
  const server = await awaitRunningServer(config.dataDir);
  if (server) {
    const token = await tokenForServer(config, server);
    const res = await fetch(`${server.queryUrl ?? server.url}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, format }),
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 401) throw tokenRefused(config, server);
    if (!res.ok) {
      const parsed = JSON.parse(body.toString('utf8')) as { error: { code: 'query_invalid'; message: string } };
      const err = new AppError(parsed.error.code, []);
      err.message = parsed.error.message;
      throw err;
    }
    return body;
  }
  const store = await openQueryStore(config);
  try {
    return await store.readOnlyQuery(query, format, { limits: config.query });
  } finally {
    await store.close();
  }
}

export const sqlCommand: Command = {
  usage: `sql ["<query>"]            Run a read-only SQL query and print the result. Without a query on a
                             terminal: an interactive console with history; otherwise the query is read
                             from standard input.
      --format <name>        Any ClickHouse output format (default: ${DEFAULT_SQL_FORMAT}; e.g. CSV, JSONEachRow).
      --out <file>           Write the result to a file instead of standard output.`,
  async run(args, config) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string' }, out: { type: 'string' } },
    });
    if (positionals.length > 1) {
      throw new UsageError('sql expects one query argument (quote it), e.g. reply-analytics sql "SELECT count() FROM aksita.human_agent_replies"');
    }
    const format = values.format ?? DEFAULT_SQL_FORMAT;
    if (!/^\w+$/.test(format)) throw new UsageError(`--format "${format}" is not a ClickHouse format name; expected e.g. CSV, JSONEachRow or Pretty`);
    let query = positionals[0];
    if (query === undefined && process.stdin.isTTY) {
      if (values.out) throw new UsageError('--out needs a query argument; the interactive console prints to the terminal');
      await sqlConsole({
        input: process.stdin,
        output: process.stdout,
        terminal: true,
        historyFile: path.join(config.dataDir, 'run', 'sql-history'),
        format,
        run: (sql, f) => runSql(config, sql, f),
      });
      return 0;
    }
    if (values.out) await checkOutputPath(values.out);
    query ??= await readStdin();
    if (!query.trim()) throw new UsageError('sql got no query: pass one as an argument or on standard input');
    const result = await runSql(config, query, format).catch((err: unknown) => {
      // Engine errors quote the values they failed on; main.ts prints the message to stderr.
      if (process.stderr.isTTY && err instanceof Error) err.message = escapeForTerminal(err.message);
      throw err;
    });
    if (values.out) await writeFileAtomically(values.out, [result]);
    // A terminal gets stored text with its control characters made visible; a file or pipe gets the exact bytes.
    else process.stdout.write(process.stdout.isTTY ? terminalText(result) : result);
    return 0;
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
