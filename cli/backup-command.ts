// `reply-analytics backup --out FILE` and `reply-analytics restore FILE` for the embedded store
// (store/backup.ts). A backup is made by whichever process holds DATA_DIR (the running one
// through /api/admin/backup, so it is consistent while it runs) and then moved to FILE, through
// a hidden temporary name: an interrupted backup leaves no FILE behind.
import { randomUUID } from 'node:crypto';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { awaitRunningServer, lockDataDir } from '../core/run-files.js';
import { waitingLine } from '../reports/progress-bar.js';
import { removeOnSignal } from '../reports/remove-on-signal.js';
import { restoreStore } from '../store/backup.js';
import { openStore } from '../store/open-store.js';
import { runOperation } from './admin-client.js';
import { UsageError, type Command } from './command.js';
import { checkOutputPath } from './output-path.js';

function requireEmbedded(config: Config, what: string): void {
  if (config.clickhouse) throw new AppError('operation_unsupported', [`${what} is for the embedded store; with CLICKHOUSE_URL use the server's own BACKUP and RESTORE (README, "Operating the data")`]);
}

/** Moves the engine's file to `out`: a rename where it can, else a copy to a hidden name renamed into place. */
async function moveInto(file: string, out: string): Promise<void> {
  const guardSource = removeOnSignal(file);
  try {
    await rename(file, out);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  } finally {
    guardSource();
  }
  const partial = path.join(path.dirname(out), `.${path.basename(out)}.${randomUUID()}.partial`);
  const release = removeOnSignal(partial);
  const releaseSource = removeOnSignal(file);
  try {
    await copyFile(file, partial);
    await rename(partial, out);
  } finally {
    await rm(partial, { force: true });
    await rm(file, { force: true });
    release();
    releaseSource();
  }
}

export const backupCommand: Command = {
  usage: `backup --out <file> [--json]
                             Back the embedded store up into one file (.tar.zst), consistent while
                             the process runs.`,
  async run(args, config) {
    const { values } = parseArgs({ args, options: { out: { type: 'string' }, json: { type: 'boolean' } } });
    if (!values.out) throw new UsageError('backup needs --out <file>, e.g. --out aksita-2026-01-31.tar.zst');
    await checkOutputPath(values.out);
    requireEmbedded(config, 'backup');
    const out = path.resolve(values.out);
    const started = Date.now();
    const stop = waitingLine(process.stderr, 'Backing up');
    let made: { file: string; bytes: number };
    try {
      made = await runOperation(config, { route: 'backup', body: {} }, (ops) => ops.backup());
    } finally {
      stop();
    }
    await moveInto(made.file, out);
    const seconds = (Date.now() - started) / 1000;
    if (values.json) process.stdout.write(`${JSON.stringify({ file: out, bytes: made.bytes, seconds })}\n`);
    else process.stdout.write(`Backed up aksita to ${out} (${(made.bytes / 1_048_576).toFixed(1)} MB) in ${seconds.toFixed(1)} s\n`);
    return 0;
  },
};

export const restoreCommand: Command = {
  usage: `restore <file> [--json]    Restore a backup into a DATA_DIR without data (no process running on it).`,
  async run(args, config) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new UsageError('restore expects one backup file, e.g. reply-analytics restore aksita-2026-01-31.tar.zst');
    const source = path.resolve(positionals[0]!);
    if (
      !(await stat(source).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      throw new UsageError(`restore: "${positionals[0]}" is not a file; expected a file written by reply-analytics backup`);
    requireEmbedded(config, 'restore');
    const server = await awaitRunningServer(config.dataDir);
    if (server) throw new AppError('restore_refused', [`a process (pid ${server.pid}) runs on DATA_DIR=${config.dataDir}; stop it, or restore into a new DATA_DIR`]);
    // Held for the whole restore, so that `start` cannot open the store half-restored.
    const unlock = await lockDataDir(config.dataDir, 'server');
    const started = Date.now();
    const stop = waitingLine(process.stderr, 'Restoring');
    try {
      const store = await openStore(config);
      try {
        const counts = await restoreStore(store, config.dataDir, source);
        await store.migrate();
        stop();
        const seconds = (Date.now() - started) / 1000;
        if (values.json) process.stdout.write(`${JSON.stringify({ file: source, dataDir: config.dataDir, ...counts, seconds })}\n`);
        else process.stdout.write(`Restored ${counts.replies} replies and ${counts.deadLetters} dead letters into ${config.dataDir} in ${seconds.toFixed(1)} s\n`);
      } finally {
        await store.close();
      }
    } finally {
      stop();
      await unlock();
    }
    return 0;
  },
};
