// Checks an --out file before any work is done, so that a mistyped path is a usage error
// (exit 2, what was expected) rather than a failure after the query ran.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './command.js';

export async function checkOutputPath(out: string): Promise<void> {
  const target = path.resolve(out);
  const dir = path.dirname(target);
  const isDir = (p: string) =>
    stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
  if (!(await isDir(dir))) throw new UsageError(`--out "${out}": the directory ${dir} does not exist; expected a file in an existing directory`);
  if (await isDir(target)) throw new UsageError(`--out "${out}" is a directory; expected a file name, e.g. ${path.join(out, 'replies.csv')}`);
  // The file is written beside the target first and renamed over it (reports/atomic-file.ts).
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!writable) throw new UsageError(`--out "${out}": the directory ${dir} is not writable by this user; expected a directory you can write to`);
}
