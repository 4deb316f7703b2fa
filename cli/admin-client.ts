// Runs one data operation where the data is: through the running process's /api/admin/* (chDB
// allows one process per directory) with the admin token, or on the store opened here when no
// process holds DATA_DIR.
import type { Config } from '../core/config.js';
import { AppError, type ErrorCode } from '../core/errors.js';
import { adminToken, awaitRunningServer, type ServerInfo } from '../core/run-files.js';
import type { AdminOps } from '../reports/admin-routes.js';
import type { Store } from '../store/store.js';
import { dataOps } from './data-ops.js';
import { openQueryStore } from './query-store.js';

export interface Where {
  /** The running process, when the operation ran there. */
  server?: ServerInfo;
}

async function post<T>(config: Config, server: ServerInfo, route: string, body: object): Promise<T> {
  if (server.adminTokenFrom === 'ADMIN_TOKEN' && !config.adminToken) {
    throw new AppError('admin_invalid', [`the running process (pid ${server.pid}) was started with ADMIN_TOKEN; set the same ADMIN_TOKEN for this command`]);
  }
  const token = await adminToken(config.dataDir, server.adminTokenFrom === 'file' ? undefined : config.adminToken);
  const res = await fetch(`${server.queryUrl ?? server.url}/api/admin/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.ok) return JSON.parse(text) as T;
  let error: { code: ErrorCode; message: string } | undefined;
  try {
    error = (JSON.parse(text) as { error: { code: ErrorCode; message: string } }).error;
  } catch {
    // Not our JSON: reported below with the status.
  }
  const err = new AppError(error?.code ?? 'internal', []);
  err.message = error?.message ?? `the running process answered ${res.status}`;
  if (res.status === 401) err.message = `the running process (pid ${server.pid}) refused the admin token: expected the ADMIN_TOKEN it was started with, or DATA_DIR/run/admin-token`;
  throw err;
}

/**
 * `remote` posts to the process; `local` runs on a store opened here (closed afterwards).
 * `onLocal` is told before a local run, e.g. to draw a progress bar.
 */
export async function runOperation<T extends object>(
  config: Config,
  remote: { route: string; body: object },
  local: (ops: AdminOps, store: Store) => Promise<T>,
  onReplayProgress?: (n: number) => void,
): Promise<T & Where> {
  const server = await awaitRunningServer(config.dataDir);
  if (server) {
    return { ...(await post<T>(config, server, remote.route, remote.body)), server };
  }
  const store = await openQueryStore(config);
  try {
    const result: T & Where = await local(dataOps(store, config.dataDir, onReplayProgress), store);
    return result;
  } finally {
    await store.close();
  }
}

/** A yes/no question on the terminal; anything but y or yes is no. */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
