// `reply-analytics start`: the whole pipeline in one process, until SIGTERM or Ctrl-C.
import pino from 'pino';
import type { Command } from './command.js';
import { startEmbeddedPipeline } from './embedded-pipeline.js';

export const startCommand: Command = {
  usage: `start                      Run the whole pipeline in one process (receiver, queue, consumer, store).`,
  async run(_args, config) {
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
    return 'keep-running';
  },
};
