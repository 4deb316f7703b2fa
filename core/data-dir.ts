// DATA_DIR holds customer conversations (raw bodies), so it is readable by its owner only.
import { chmod, mkdir, stat } from 'node:fs/promises';
import { AppError } from './errors.js';

/** Mode bits that let anyone but the owner read, write or enter. */
export const GROUP_OR_OTHER = 0o077;

/**
 * Creates DATA_DIR as 0700, or tightens an existing one to 0700. Tightened rather than refused:
 * directories made before this rule (or by `mkdir` under the usual umask) are 0755, and closing
 * the directory needs no one's decision; it also closes every file inside, whatever its mode.
 * Returns the mode it had when it was tightened. Refuses a directory this user cannot chmod.
 */
export async function secureDataDir(dataDir: string): Promise<number | undefined> {
  // A path that cannot be a directory is left to lockDataDir, which says what is wrong with it.
  const made = await mkdir(dataDir, { recursive: true, mode: 0o700 }).then(
    () => true,
    () => false,
  );
  const mode = made ? (await stat(dataDir)).mode : 0;
  if ((mode & GROUP_OR_OTHER) === 0) return undefined;
  await chmod(dataDir, 0o700).catch((err: NodeJS.ErrnoException) => {
    throw new AppError(
      'config_invalid',
      [`  DATA_DIR=${dataDir}: group or others can read it (mode ${octal(mode)}) and this user cannot change that (${err.code}); expected a directory of this user's own: chmod 700 ${dataDir}`],
      { cause: err },
    );
  });
  return mode & 0o777;
}

export const octal = (mode: number) => (mode & 0o777).toString(8);
