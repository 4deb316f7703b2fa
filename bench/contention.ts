// Other work on the machine skews every figure, and our machines are shared. CPU time of the
// whole machine (/proc/stat) minus that of this benchmark's own processes (this one, its
// finished children, and the servers and broker it keeps running) is what others used.
// Runs wait for a quiet moment first, and a run that others disturbed anyway is named in the notes.
import { readFileSync } from 'node:fs';

const live = new Set<number>();
/** Counts a long-running process of ours (a server, the broker) as our own work. */
export const track = (pid: number): void => void live.add(pid);
export const untrack = (pid: number): void => void live.delete(pid);

interface Snapshot {
  total: number;
  busy: number;
  mine: number;
}

/** CPU seconds (user + system, all threads) a live process has used so far. */
export const cpuSeconds = (pid: number): number => ticks(pid, false) / TICKS_PER_SECOND;

// USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux build we run on.
const TICKS_PER_SECOND = 100;

function ticks(pid: number | 'self', withChildren: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": utime is the 14th field of the line, i.e. index 11 here.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return f[11]! + f[12]! + (withChildren ? f[13]! + f[14]! : 0);
  } catch {
    return 0; // exited since: its time is in our children's time once reaped
  }
}

function snapshot(): Snapshot {
  const n = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = n[3]! + (n[4] ?? 0);
  let mine = ticks('self', true);
  for (const pid of live) mine += ticks(pid, false);
  return { total, busy: total - idle, mine };
}

/** Share of the machine's CPU time (0..1) that other processes used between two snapshots. */
function othersShare(a: Snapshot, b: Snapshot): number {
  const total = b.total - a.total;
  return total <= 0 ? 0 : Math.max(0, (b.busy - a.busy - (b.mine - a.mine)) / total);
}

export interface Watch {
  stop(): number;
}

export function watch(): Watch {
  const a = snapshot();
  return { stop: () => othersShare(a, snapshot()) };
}

/**
 * Waits until others use under `threshold` of the machine over half a second, at most
 * `maxWaitMs`; returns what others used in the last sample.
 */
export async function awaitQuiet(maxWaitMs: number, threshold = 0.1): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const w = watch();
    await new Promise((r) => setTimeout(r, 500));
    const share = w.stop();
    if (share < threshold || Date.now() >= deadline) return share;
  }
}
