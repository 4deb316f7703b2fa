// Files under DATA_DIR/run that let CLI commands find the running process: its address and
// pid (server.json) and the query token (query-token, readable by the owner only).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GROUP_OR_OTHER, octal } from './data-dir.js';
import { AppError } from './errors.js';

export interface ServerInfo {
  pid: number;
  /** Base URL reachable from this machine, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Base URL of its read API (/api/query, /api/reports) and /metrics, e.g. http://127.0.0.1:3001 */
  queryUrl?: string;
  startedAt: string;
  /** Where its query token comes from: the QUERY_TOKEN it was started with, or DATA_DIR/run/query-token. */
  queryTokenFrom?: 'QUERY_TOKEN' | 'file';
  /** Where its admin token comes from: ADMIN_TOKEN, or DATA_DIR/run/admin-token. */
  adminTokenFrom?: 'ADMIN_TOKEN' | 'file';
}

const runDir = (dataDir: string) => path.join(dataDir, 'run');
/** 'server' is the process that holds the store (start or consume); 'ingest' a receiver-only one. */
export type RunRole = 'server' | 'ingest';
const infoFile = (dataDir: string, role: RunRole) => path.join(runDir(dataDir), `${role}.json`);
const lockFile = (dataDir: string, role: RunRole) => path.join(runDir(dataDir), `${role}.lock`);
const tokenFile = (dataDir: string, name = 'query-token') => path.join(runDir(dataDir), name);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's state letter and start time (clock ticks after boot), where /proc has them. */
async function procStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  const raw = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name, in parentheses, may hold spaces: fields are counted after its end.
  const fields = raw?.slice(raw.lastIndexOf(')') + 2).split(' ');
  return fields && fields.length > 19 ? { state: fields[0]!, startTime: fields[19]! } : undefined;
}

/** Who holds a lock: its pid, and its start time where it was known when the lock was taken. */
interface LockOwner {
  pid: number;
  startTime?: string;
}

/**
 * Whether `owner` still runs. kill(pid, 0) alone also succeeds for a process that was killed
 * but not yet reaped (a zombie holds no files), and for an unrelated one that got the pid
 * later; /proc tells both apart, where there is one.
 */
async function stillRuns(owner: LockOwner): Promise<boolean> {
  if (!alive(owner.pid)) return false;
  const now = await procStat(owner.pid);
  if (!now) return true;
  if (now.state === 'Z' || now.state === 'X') return false;
  return owner.startTime === undefined || owner.startTime === now.startTime;
}

/** The lock's owner: "<pid> <start time>", or "<pid>" as older versions wrote it. */
async function readLockOwner(file: string): Promise<LockOwner | undefined> {
  const [pid, startTime] = (await readFile(file, 'utf8').catch(() => '')).trim().split(/\s+/);
  const n = Number(pid);
  return pid && Number.isSafeInteger(n) && n > 0 ? { pid: n, startTime } : undefined;
}

/** The process that holds DATA_DIR, if one is running. */
export async function findRunningServer(dataDir: string, role: RunRole = 'server'): Promise<ServerInfo | undefined> {
  const raw = await readFile(infoFile(dataDir, role), 'utf8').catch(() => undefined);
  if (!raw) return undefined;
  const info = JSON.parse(raw) as ServerInfo;
  return info.pid !== process.pid && (await stillRuns({ pid: info.pid })) ? info : undefined;
}

/**
 * The process that holds DATA_DIR, waiting for it to finish starting when one holds the lock but
 * has not said where it listens yet (it opens the store first): a command that opened the store
 * itself meanwhile would take chDB's lock from the starting process. Undefined when none runs.
 */
export async function awaitRunningServer(dataDir: string, timeoutMs = 30_000): Promise<ServerInfo | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = await findRunningServer(dataDir);
    if (server) return server;
    const starting = await readLockOwner(lockFile(dataDir, 'server'));
    if (!starting || starting.pid === process.pid || !(await stillRuns(starting))) return undefined;
    if (Date.now() > deadline) throw new AppError('data_dir_locked', [dataDir, starting.pid]);
    await sleep(100);
  }
}

export async function writeServerInfo(dataDir: string, info: ServerInfo, role: RunRole = 'server'): Promise<void> {
  await mkdir(runDir(dataDir), { recursive: true, mode: 0o700 });
  await writeFile(infoFile(dataDir, role), JSON.stringify(info, null, 2), { mode: 0o600 });
}

export async function removeServerInfo(dataDir: string, role: RunRole = 'server'): Promise<void> {
  await rm(infoFile(dataDir, role), { force: true });
}

/** QUERY_TOKEN when configured; otherwise a random token kept in DATA_DIR/run/query-token. */
export function queryToken(dataDir: string, configured: string | undefined): Promise<string> {
  return tokenOf(dataDir, configured, 'query-token', 'the query token');
}

/** ADMIN_TOKEN when configured; otherwise a random token kept in DATA_DIR/run/admin-token. */
export function adminToken(dataDir: string, configured: string | undefined): Promise<string> {
  return tokenOf(dataDir, configured, 'admin-token', 'the admin token');
}

async function tokenOf(dataDir: string, configured: string | undefined, name: string, what: string): Promise<string> {
  if (configured) return configured;
  const file = tokenFile(dataDir, name);
  const mode = await stat(file).then(
    (s) => s.mode,
    () => undefined,
  );
  // Anyone who can read the token can do what it grants.
  if (mode !== undefined && (mode & GROUP_OR_OTHER) !== 0) {
    throw new AppError('config_invalid', [`  ${file}: ${what} is readable by group or others (mode ${octal(mode)}); expected it readable by its owner only: chmod 600 ${file}`]);
  }
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const token = randomBytes(24).toString('base64url');
  await mkdir(runDir(dataDir), { recursive: true, mode: 0o700 });
  await writeFile(file, token, { mode: 0o600 });
  return token;
}

/**
 * Takes DATA_DIR for one role, so two processes never share its embedded log or fallback log.
 * The lock file is created exclusively (O_EXCL) and holds the owner's pid; a lock left by a
 * process that no longer runs (SIGKILL) is taken over. Returns the release function.
 */
const DATA_DIR_PROBLEMS = new Set(['ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS']);

export async function lockDataDir(dataDir: string, role: RunRole): Promise<() => Promise<void>> {
  const file = lockFile(dataDir, role);
  await mkdir(runDir(dataDir), { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    // The first thing written under DATA_DIR: a path that cannot be a writable directory shows
    // here. Other failures (a full disk, too many open files) are not the setting's fault.
    if (!DATA_DIR_PROBLEMS.has(err.code ?? '')) throw err;
    throw new AppError('config_invalid', [`  DATA_DIR=${dataDir}: cannot create ${runDir(dataDir)} (${err.code}); expected a directory this user can write, or a path where one can be made`], {
      cause: err,
    });
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600);
      const self = await procStat(process.pid);
      await fh.writeFile(self ? `${process.pid} ${self.startTime}` : String(process.pid));
      await fh.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readLockOwner(file);
      if (owner && owner.pid !== process.pid && (await stillRuns(owner))) throw new AppError('data_dir_locked', [dataDir, owner.pid]);
      await rm(file, { force: true });
    }
  }
  throw new AppError('data_dir_locked', [dataDir, 'unknown']);
}

/**
 * Waits, up to `timeoutMs`, while another process holds DATA_DIR for `role`: one that was just
 * killed may hold it for a moment while it exits, and a restart right after must not fail for
 * that. `onWait` is called once if it waits. lockDataDir then takes the lock, or refuses.
 */
export async function awaitDataDirFree(dataDir: string, role: RunRole, onWait: (pid: number) => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const owner = await readLockOwner(lockFile(dataDir, role));
    if (!owner || owner.pid === process.pid || !(await stillRuns(owner)) || Date.now() > deadline) return;
    if (!told) onWait(owner.pid);
    told = true;
    await sleep(100);
  }
}
