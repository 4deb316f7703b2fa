// A tiny detached Node process that kills the broker JVM when this Node process
// dies by any means, including SIGKILL or a signal with no handler, where
// process.on('exit') never runs. It holds the read end of a pipe from us; the
// kernel closes our end when we die, so it sees EOF without polling us.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

const GRACE_MS = 10_000;

// Plain JS run with `node -e`: no build step, no tsx loader needed.
const SCRIPT = `
const pid = Number(process.argv[1]);
const grace = Number(process.argv[2]);
const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
// Broker gone on its own (normal stop): nothing left to guard.
setInterval(() => { if (!alive()) process.exit(0); }, 1000);
const parentGone = () => {
  try { process.kill(pid, 'SIGTERM'); } catch {}
  setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch {} process.exit(0); }, grace);
};
process.stdin.on('end', parentGone);
process.stdin.on('error', parentGone);
process.stdin.resume();
`;

export interface Watchdog {
  kill(): void;
}

export function startWatchdog(brokerPid: number): Watchdog {
  const wd = spawn(process.execPath, ['-e', SCRIPT, String(brokerPid), String(GRACE_MS)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Own process group: a Ctrl-C aimed at our terminal must not kill the
    // watchdog before it has done its job (the JVM gets that SIGINT itself).
    detached: true,
    env: {}, // no NODE_OPTIONS loaders (tsx, vitest) in a plain JS one-liner
  });
  // Neither the process nor our end of its stdin may keep our event loop alive.
  wd.unref();
  (wd.stdin as unknown as Socket | null)?.unref();
  wd.on('error', () => undefined); // best effort: a missing watchdog must not crash the app
  return {
    kill: () => {
      if (wd.exitCode === null && wd.signalCode === null) wd.kill('SIGTERM');
    },
  };
}
