// The broker JVM writes stdout/stderr straight into <dataDir>/broker.log (no
// pipe through Node, so its shutdown lines still land there if Node dies
// first). These helpers read that file back: a tail for error messages, and a
// polling follower for the optional `log` callback.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Bytes of `file` from offset `from` to its end (at most `max`, from the end). */
function readFrom(file: string, from: number, max = Infinity): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - max);
    const buf = Buffer.alloc(Math.max(0, size - start));
    const n = buf.length ? readSync(fd, buf, 0, buf.length, start) : 0;
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The last `lines` lines written at or after byte offset `from`. */
export function readTail(file: string, from: number, lines: number): string {
  return readFrom(file, from, 256 * 1024)
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .join('\n');
}

/**
 * Calls onLine for each complete line appended after offset `from`, polling
 * every 200 ms (fs.watch is unreliable on some filesystems). Returns a stop
 * function that delivers what is left, including a final unterminated line.
 */
export function follow(file: string, from: number, onLine: (line: string) => void): () => void {
  let offset = from;
  let partial = '';
  const poll = (final: boolean): void => {
    const chunk = readFrom(file, offset);
    offset += chunk.length;
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line);
    if (final && partial) onLine(partial);
  };
  const timer = setInterval(() => poll(false), 200);
  timer.unref(); // the broker process, not this poller, decides how long we live
  return () => {
    clearInterval(timer);
    poll(true);
  };
}
