// Backup and restore of the embedded store with the engine's own BACKUP and RESTORE, to one
// .tar.zst file (chDB 3.4 has no zip support; a tar archive it writes and reads itself). The
// engine writes only under DATA_DIR/backups (chdb-store.ts), under a hidden temporary name; the
// caller moves the finished file where it belongs. Each table is copied at one instant (its
// parts); the rollup may be a moment older or newer than the replies, so restore computes it
// again from the restored replies.
import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { DATABASE, DEAD_LETTERS_TABLE, REPLIES_TABLE, ROLLUP_TABLE } from './migrations.js';
import { stringLiteral } from './sql-literal.js';
import type { Store } from './store.js';

export const BACKUP_SUFFIX = '.tar.zst';

/** Where the engine may write and read backups (chdb-store.ts allows it): DATA_DIR/backups only. */
export const backupsDir = (dataDir: string): string => path.join(dataDir, 'backups');

function requireEmbedded(store: Store): void {
  if (store.kind !== 'chdb') {
    throw new AppError('operation_unsupported', [
      'backup and restore are for the embedded store; back a ClickHouse server up with its own BACKUP to its configured backups disk (README, "Operating the data")',
    ]);
  }
}

/** Writes a backup of the whole aksita database into DATA_DIR/backups; returns its path and size. */
export async function backupStore(store: Store, dataDir: string): Promise<{ file: string; bytes: number }> {
  requireEmbedded(store);
  const dir = backupsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `.backup-${randomUUID()}${BACKUP_SUFFIX}`);
  try {
    await store.query(`BACKUP DATABASE ${DATABASE} TO File(${stringLiteral(file)})`, { format: 'TSVRaw' });
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  } finally {
    // The engine's lock file beside the archive.
    await rm(`${file}.lock`, { force: true });
  }
  return { file, bytes: (await stat(file)).size };
}

/** Tables that hold data in a store that was never written to are empty: nothing would be lost. */
async function holdsData(store: Store): Promise<boolean> {
  const out = await store.query(`SELECT sum(total_rows) FROM system.tables WHERE database = ${stringLiteral(DATABASE)} AND name IN ('human_agent_replies', 'dead_letters')`, { format: 'TSVRaw' });
  return Number(out.toString('utf8').trim() || 0) > 0;
}

/**
 * Restores `source` (a backup file) into an embedded store that holds no replies or dead
 * letters, then computes the rollup again. The caller migrates afterwards (a backup from an
 * older version gains the newer migrations).
 */
export async function restoreStore(store: Store, dataDir: string, source: string): Promise<{ replies: number; deadLetters: number }> {
  requireEmbedded(store);
  if (await holdsData(store)) throw new AppError('restore_refused', [`DATA_DIR=${dataDir} already holds replies or dead letters; restore into a new DATA_DIR`]);
  const dir = backupsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const staged = path.join(dir, `.restore-${randomUUID()}${BACKUP_SUFFIX}`);
  // The engine reads only under DATA_DIR/backups: a hard link where it can be one, a copy otherwise.
  await link(path.resolve(source), staged).catch(() => copyFile(source, staged));
  try {
    await store.query(`DROP DATABASE IF EXISTS ${DATABASE} SYNC`, { format: 'TSVRaw' });
    await store.query(`RESTORE DATABASE ${DATABASE} FROM File(${stringLiteral(staged)})`, { format: 'TSVRaw' });
    await store.query(`TRUNCATE TABLE ${ROLLUP_TABLE}`, { format: 'TSVRaw' });
    await store.query(
      `INSERT INTO ${ROLLUP_TABLE}
       SELECT agent, toStartOfInterval(toDateTime(event_time), INTERVAL 300 second) AS bucket, uniqExactState(conversation_id),
         min((event_time, received_at, message_id, remaining_credits)), max((event_time, received_at, message_id, remaining_credits)), max(remaining_credits)
       FROM ${REPLIES_TABLE} GROUP BY agent, bucket`,
      { format: 'TSVRaw' },
    );
  } finally {
    await rm(staged, { force: true });
    await rm(`${staged}.lock`, { force: true });
  }
  const count = async (table: string) => Number((await store.query(`SELECT count() FROM ${table}`, { format: 'TSVRaw' })).toString('utf8').trim());
  return { replies: await count(REPLIES_TABLE), deadLetters: await count(DEAD_LETTERS_TABLE) };
}
