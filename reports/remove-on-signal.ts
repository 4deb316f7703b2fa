// Removes a scratch file or directory if the process is interrupted (Ctrl-C, SIGTERM) while
// it exists, then dies of the same signal, as the process would have without the handler.
// Not process.exit(): exiting normally while chDB still streams on its own thread crashes the
// engine's teardown (chdb 3.4). Only for command-line runs: a server's SIGTERM is a clean shutdown.
import { rmSync } from 'node:fs';

/** Starts guarding `target`; the returned function stops (call it once the target is gone or kept). */
export function removeOnSignal(target: string): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    try {
      rmSync(target, { recursive: true, force: true });
    } catch {
      // The signal must still end the process; what could not be removed stays hidden (a dot name).
    }
    release();
    process.kill(process.pid, signal);
  };
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return release;
}
