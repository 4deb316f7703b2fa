// A progress bar on stderr for long exports, drawn only when stderr is a terminal so that
// scripts and logs never see control characters.

export interface Progress {
  /** Adds `n` units (rows or bytes) done. */
  add(n: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

const SILENT: Progress = { add() {}, finish() {} };
const REDRAW_MS = 100;
const count = new Intl.NumberFormat('en-US');

export function progressBar(stream: NodeJS.WriteStream, label: string, total: number | undefined, unit: 'rows' | 'bytes'): Progress {
  if (!stream.isTTY) return SILENT;
  const started = Date.now();
  let done = 0;
  let drawnAt = 0;
  const amount = (n: number) => (unit === 'bytes' ? `${(n / 1_048_576).toFixed(1)} MB` : `${count.format(n)} rows`);
  const draw = (final: boolean) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    let line: string;
    if (total && total > 0) {
      // Row counts come from line breaks, which a CSV field may contain: never show > 100%.
      const shown = final ? total : Math.min(done, total);
      const ratio = shown / total;
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - 50));
      const filled = Math.round(ratio * width);
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${amount(shown)} of ${amount(total)}  ${seconds} s`;
    } else {
      line = `${label} ${amount(done)}  ${seconds} s`;
    }
    stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
  };
  return {
    add(n) {
      done += n;
      const now = Date.now();
      if (now - drawnAt >= REDRAW_MS) {
        drawnAt = now;
        draw(false);
      }
    },
    finish() {
      draw(true);
    },
  };
}

/**
 * An elapsed-time line while something of unknown length runs (the engine writing a Parquet
 * file before its bytes can flow); the returned function clears it.
 */
export function waitingLine(stream: NodeJS.WriteStream, label: string): () => void {
  if (!stream.isTTY) return () => {};
  const started = Date.now();
  const draw = () => stream.write(`\r\x1b[2K${label} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  draw();
  const timer = setInterval(draw, 200);
  return () => {
    clearInterval(timer);
    stream.write('\r\x1b[2K');
  };
}

/** Line breaks in a chunk: rows, for line-per-row formats (CSV, JSON lines). */
export function countLines(chunk: Uint8Array): number {
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n += 1;
  return n;
}
