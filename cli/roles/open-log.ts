// Opens an embedded log (the queue, or Kafka's local fallback), saying in the log what recovery
// cleared and when the log stops and starts taking events again.
import type { Logger } from 'pino';
import { EmbeddedLog } from '../../queue/embedded-log.js';

export async function openLog(dir: string, logger: Logger): Promise<EmbeddedLog> {
  const log = await EmbeddedLog.open({
    dir,
    onFailure: (err) => logger.error({ err, dir }, 'the local log could not be written: every new event is refused (503) until the disk takes writes again (a full disk?); retrying on its own'),
    onRecovered: () => logger.warn({ dir }, 'the local log is writable again: events are accepted'),
  });
  if (log.recovered) {
    logger.warn({ ...log.recovered, dir }, 'cleared the end of the newest log segment, which a crash left half written (never acknowledged)');
  }
  return log;
}
