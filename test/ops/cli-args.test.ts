// Each operations command's bad arguments: exit code 2 and a message saying what was expected,
// before any data is touched.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../../store/chdb-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { cli } from './cli.js';
import { replyRow } from './rows.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let someFile: string;
beforeAll(async () => {
  dir = await tempDir();
  someFile = path.join(dir.path, 'some.tar.zst');
  await writeFile(someFile, 'not a backup');
});
afterAll(() => dir.remove());

const CASES: [string[], RegExp, Record<string, string>?][] = [
  [['erase'], /erase needs --conversation <id> or --message <id>/],
  [['erase', '--agent', 'sales', '--yes'], /erase needs --conversation <id> or --message <id>/],
  [['erase', '--conversation', '', '--yes'], /--conversation expects a non-empty id/],
  [['erase', '--conversation', 'c1'], /asks for confirmation on a terminal; pass --yes/],
  [['erase', '--conversation', 'c1', '--yes', '--bogus'], /Unknown option '--bogus'/],
  [['erase', 'c1', '--yes'], /Unexpected argument 'c1'/],
  [['dead-letters'], /dead-letters needs a subcommand: list or replay/],
  [['dead-letters', 'purge'], /dead-letters has no subcommand "purge"; expected list or replay/],
  [['dead-letters', 'list', '--since', 'last tuesday-ish'], /--since: expected a time such as 2026-01-31/],
  [['dead-letters', 'list', '--reason', 'bad reason'], /--reason: expected a reason code such as invalid_payload/],
  [['dead-letters', 'replay', '--dry-run=yes'], /--dry-run' does not take an argument/],
  [['backup'], /backup needs --out <file>/],
  [['backup', '--out', '/nonexistent-dir/b.tar.zst'], /the directory \/nonexistent-dir does not exist/],
  [['backup', '--out', 'b.tar.zst'], /\[operation_unsupported\].*use the server's own BACKUP/, { CLICKHOUSE_URL: 'http://127.0.0.1:1' }],
  [['restore'], /restore expects one backup file/],
  [['restore', 'missing.tar.zst'], /"missing.tar.zst" is not a file/],
];

describe('operations commands: bad arguments', () => {
  it.each(CASES)('%j exits 2: %s', async (args, message, env) => {
    const { code, stderr } = await cli(
      dir.path,
      args.map((a) => (a === 'b.tar.zst' ? path.join(dir.path, a) : a)),
      env,
    );
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });

  it('restore with CLICKHOUSE_URL is unsupported (exit 2)', async () => {
    const { code, stderr } = await cli(dir.path, ['restore', someFile], { CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    expect(stderr).toMatch(/\[operation_unsupported\]/);
    expect(code).toBe(2);
  });

  it('restore into a DATA_DIR that holds replies is refused and changes nothing (exit 2)', async () => {
    const full = await tempDir();
    try {
      const store = await ChdbStore.open(full.path);
      await store.migrate();
      await store.insertReplies([replyRow({ message_id: 'kept' })], 'args-1');
      await store.close();
      const { code, stderr } = await cli(full.path, ['restore', someFile]);
      expect(stderr).toMatch(/\[restore_refused\] Nothing was restored: DATA_DIR=.* already holds replies or dead letters/);
      expect(code).toBe(2);
      expect((await cli(full.path, ['sql', 'SELECT message_id FROM aksita.human_agent_replies', '--format', 'TSV'])).stdout).toBe('kept\n');
    } finally {
      await full.remove();
    }
  });
});
