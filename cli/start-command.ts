// `reply-analytics start | ingest | consume`: long-running pipeline processes, until SIGTERM or Ctrl-C.
import pino, { type Logger } from 'pino';
import type { Config } from '../core/config.js';
import { octal, secureDataDir } from '../core/data-dir.js';
import { awaitDataDirFree } from '../core/run-files.js';
import type { Command } from './command.js';
import { startPipeline, type Role } from './pipeline.js';

// A process killed a moment ago may still hold DATA_DIR while it exits.
const LOCK_WAIT_MS = 10_000;

/** DATA_DIR private (core/data-dir.ts), and free of a process that is still exiting. */
async function prepareDataDir(config: Config, role: Role, logger: Logger): Promise<void> {
  const was = await secureDataDir(config.dataDir);
  if (was !== undefined)
    logger.warn({ dataDir: config.dataDir }, `DATA_DIR was readable by group or others (mode ${octal(was)}): changed it to 700, so that only this user can read the replies in it`);
  const onWait = (pid: number) => logger.warn({ pid, dataDir: config.dataDir }, `DATA_DIR is held by process ${pid}, which may be exiting: waiting up to ${LOCK_WAIT_MS / 1000} s for it`);
  await awaitDataDirFree(config.dataDir, role === 'ingest' ? 'ingest' : 'server', onWait, LOCK_WAIT_MS);
}

function pipelineCommand(role: Role, usage: string): Command {
  return {
    usage,
    async run(_args, config) {
      const logger = pino({ level: config.logLevel });
      // Handlers go in before start-up: a SIGTERM that arrives while starting (or right after
      // the ready line) must still shut down cleanly rather than kill the process.
      const pipeline = prepareDataDir(config, role, logger).then(() => startPipeline(config, logger, role));
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        pipeline
          .then((p) => p.stop())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              logger.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
      await pipeline;
      return 'keep-running';
    },
  };
}

export const startCommand = pipelineCommand('all', 'start                      Run the whole pipeline in one process (receiver, queue, consumer, store).');
export const ingestCommand = pipelineCommand('ingest', 'ingest                     Run only the receiver, publishing to Kafka (KAFKA_BROKERS).');
export const consumeCommand = pipelineCommand('consume', 'consume                    Run only a Kafka consumer that stores into ClickHouse, with the query API.');
