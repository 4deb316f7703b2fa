// reply-analytics <command>: the one CLI entry.
import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { startEmbeddedPipeline } from './embedded-pipeline.js';
import { DEFAULT_SQL_FORMAT, runSql } from './sql-command.js';

const USAGE = `Usage: reply-analytics <command> [options]

Commands:
  start                      Run the whole pipeline in one process (receiver, queue, consumer, store).
  sql "<query>"              Run a read-only SQL query and print the result.
      --format <name>        Any ClickHouse output format (default: ${DEFAULT_SQL_FORMAT}; e.g. CSV, JSONEachRow).
      --out <file>           Write the result to a file instead of standard output.
  help                       Show this text.

Configuration comes from environment variables; see .env.example.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'start': {
      const logger = pino({ level: config.logLevel });
      const pipeline = await startEmbeddedPipeline(config, logger);
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        pipeline.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
      return -1; // keep running
    }
    case 'sql': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { format: { type: 'string' }, out: { type: 'string' } },
      });
      if (positionals.length !== 1) throw new UsageError('sql expects exactly one query argument, e.g. reply-analytics sql "SELECT count() FROM aksita.human_agent_replies"');
      const result = await runSql(config, positionals[0]!, values.format ?? DEFAULT_SQL_FORMAT);
      if (values.out) {
        // Write beside the target and rename, so a failure never leaves a half-written file.
        await writeFile(`${values.out}.partial`, result);
        await rename(`${values.out}.partial`, values.out);
      } else {
        process.stdout.write(result);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`reply-analytics: ${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (isAppError(err)) {
      process.stderr.write(`reply-analytics: [${err.code}] ${err.message}\n`);
      process.exitCode = err.code === 'config_invalid' || err.code === 'query_invalid' || err.code === 'query_refused' ? 2 : 1;
    } else {
      process.stderr.write(`reply-analytics: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
