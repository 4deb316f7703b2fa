// A random id minted when an embedded log directory is first used, kept beside its segments.
// Queue positions restart at 0 if the log directory is ever deleted while the store is kept;
// naming the queue after this id keeps insert tokens and dead-letter positions from an old
// incarnation from colliding with new ones (a collision would silently drop a new batch).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mkdirDurable, writeFileAtomic } from './fs-durable.js';

export async function embeddedQueueName(logDir: string): Promise<string> {
  const file = path.join(logDir, 'log-id');
  let id = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (!/^[0-9a-f]{16}$/.test(id)) {
    id = randomBytes(8).toString('hex');
    await mkdirDurable(logDir);
    await writeFileAtomic(file, id);
  }
  return `embedded-${id}`;
}
