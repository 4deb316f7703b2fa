// `reply-analytics sql "<query>"`: read-only SQL against the data, through the running
// process when one holds DATA_DIR (chDB allows one process per directory), directly otherwise.
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { findRunningServer, queryToken } from '../core/run-files.js';
import { ChdbStore } from '../store/chdb-store.js';

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
