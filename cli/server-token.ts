// The query token the CLI shows the running process. The process takes QUERY_TOKEN when it
// was started with one and DATA_DIR/run/query-token otherwise; only the file is shared, so a
// command without the same QUERY_TOKEN would be refused with a bare 401.
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { queryToken, type ServerInfo } from '../core/run-files.js';

export async function tokenForServer(config: Config, server: ServerInfo): Promise<string> {
  if (server.queryTokenFrom === 'QUERY_TOKEN' && !config.queryToken) {
    throw new AppError('query_token_refused', [server.pid, 'it was started with QUERY_TOKEN and this command has none']);
  }
  // A process that uses the token file takes only that, whatever QUERY_TOKEN this shell has.
  return queryToken(config.dataDir, server.queryTokenFrom === 'file' ? undefined : config.queryToken);
}

/** The process answered 401 to the token of tokenForServer. */
export function tokenRefused(config: Config, server: ServerInfo): AppError {
  const why = config.queryToken ? 'the QUERY_TOKEN of this command differs' : 'the token in DATA_DIR/run/query-token is not the one it uses';
  return new AppError('query_token_refused', [server.pid, why]);
}
