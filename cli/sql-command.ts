// `reply-analytics sql "<query>"`: read-only SQL against the data, through the running
// process when one holds DATA_DIR (chDB allows one process per directory), directly otherwise.
import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { findRunningServer, queryToken } from '../core/run-files.js';
import { ChdbStore } from '../store/chdb-store.js';
import { UsageError, type Command } from './command.js';

export const DEFAULT_SQL_FORMAT = 'PrettyCompactMonoBlock';

export async function runSql(config: Config, query: string, format: string): Promise<Buffer> {
  const server = await findRunningServer(config.dataDir);
  if (server) {
    const token = await queryToken(config.dataDir, config.queryToken);
    const res = await fetch(`${server.url}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, format }),
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) {
      const parsed = JSON.parse(body.toString('utf8')) as { error: { code: 'query_invalid'; message: string } };
      const err = new AppError(parsed.error.code, []);
      err.message = parsed.error.message;
      throw err;
    }
    return body;
  }
  const store = await ChdbStore.open(config.dataDir);
  try {
    await store.migrate();
    return await store.readOnlyQuery(query, format);
  } finally {
    await store.close();
  }
}

export const sqlCommand: Command = {
  usage: `sql "<query>"              Run a read-only SQL query and print the result.
      --format <name>        Any ClickHouse output format (default: ${DEFAULT_SQL_FORMAT}; e.g. CSV, JSONEachRow).
      --out <file>           Write the result to a file instead of standard output.`,
  async run(args, config) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string' }, out: { type: 'string' } },
    });
    if (positionals.length !== 1) {
      throw new UsageError('sql expects exactly one query argument, e.g. reply-analytics sql "SELECT count() FROM aksita.human_agent_replies"');
    }
    const result = await runSql(config, positionals[0]!, values.format ?? DEFAULT_SQL_FORMAT);
    if (values.out) {
      // Write beside the target and rename, so a failure never leaves a half-written file.
      await writeFile(`${values.out}.partial`, result);
      await rename(`${values.out}.partial`, values.out);
    } else {
      process.stdout.write(result);
    }
    return 0;
  },
};
