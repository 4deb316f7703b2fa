// reply-analytics <command>: the one CLI entry. Each command lives in its own file.
import { loadConfig } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { alertsCommand } from './alerts-command.js';
import { backupCommand, restoreCommand } from './backup-command.js';
import { UsageError, type Command } from './command.js';
import { deadLettersCommand } from './dead-letters-command.js';
import { eraseCommand } from './erase-command.js';
import { openCommand } from './open-command.js';
import { reportCommand } from './report-command.js';
import { sqlCommand } from './sql-command.js';
import { consumeCommand, ingestCommand, startCommand } from './start-command.js';

const commands: Record<string, Command> = {
  start: startCommand,
  ingest: ingestCommand,
  consume: consumeCommand,
  sql: sqlCommand,
  open: openCommand,
  report: reportCommand,
  alerts: alertsCommand,
  erase: eraseCommand,
  'dead-letters': deadLettersCommand,
  backup: backupCommand,
  restore: restoreCommand,
};

const usage = () => `Usage: reply-analytics <command> [options]

Commands:
${Object.values(commands)
  .map((c) => `  ${c.usage}`)
  .join('\n')}
  help                       Show this text.

Configuration comes from environment variables; see .env.example.`;

// Exit codes: 0 success, 1 failure while running, 2 bad arguments, configuration or query.
const USER_ERRORS = new Set(['config_invalid', 'query_invalid', 'query_refused', 'query_token_refused', 'admin_invalid', 'operation_unsupported', 'restore_refused']);

async function main(argv: string[]): Promise<number | 'keep-running'> {
  // Everything written under DATA_DIR is the owner's alone, chDB's own files included (it
  // creates them itself, so the umask is the one place that reaches them).
  process.umask(0o077);
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  return command.run(rest, loadConfig());
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 'keep-running') process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`reply-analytics: ${(err as Error).message}\n\n${usage()}\n`);
      process.exitCode = 2;
    } else if (isAppError(err)) {
      process.stderr.write(`reply-analytics: [${err.code}] ${err.message}\n`);
      process.exitCode = USER_ERRORS.has(err.code) ? 2 : 1;
    } else if (err instanceof Error && 'syscall' in err) {
      // The file system or network said no (a full disk, a permission): its message names the
      // path and the reason; a stack trace would only bury it.
      process.stderr.write(`reply-analytics: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`reply-analytics: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
