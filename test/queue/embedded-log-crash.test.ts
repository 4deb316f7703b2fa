// Crash safety: a child process appends as fast as it can and is killed with SIGKILL at an
// arbitrary moment; every sequence number it printed as acknowledged must survive, with its
// own body, and the log must read cleanly to its end. Rounds continue the same log.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { crashEnvelope } from './log-fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const SEGMENT_BYTES = 64 * 1024;

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir('embedded-log-crash-');
});
afterAll(async () => {
  await dir.remove();
});

/** Runs the appender until it has acknowledged `killAfter` appends, then SIGKILLs it. */
async function runAndKill(round: number, killAfter: number): Promise<Map<number, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'crash-appender.ts'), dir.path, String(round), String(SEGMENT_BYTES)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const acked = new Map<number, number>();
  // readline yields only complete lines: a line cut by the kill is not counted as acknowledged.
  for await (const line of createInterface({ input: child.stdout })) {
    const [seq, id] = line.split(' ').map(Number);
    expect(acked.has(seq!)).toBe(false);
    acked.set(seq!, id!);
    if (acked.size === killAfter) child.kill('SIGKILL');
  }
  const { signal } = await exited;
  expect(signal, `the appender exited by itself:\n${stderr}`).toBe('SIGKILL');
  return acked;
}

it('every append acknowledged before a SIGKILL is on the log after reopen, over three crashes', async () => {
  let committed = 0;
  for (const [round, killAfter] of [
    [1, 300],
    [2, 700],
    [3, 450],
  ] as const) {
    const acked = await runAndKill(round, killAfter);
    expect(acked.size).toBeGreaterThanOrEqual(killAfter);

    const log = await EmbeddedLog.open({ dir: dir.path, segmentBytes: SEGMENT_BYTES });
    expect(log.committed).toBe(committed);
    const seen = new Map<number, Buffer>();
    for (;;) {
      const batch = await log.read(500);
      if (batch.length === 0) break;
      for (const q of batch) {
        expect(q.offset).toBe(committed + seen.size);
        seen.set(q.offset, q.envelope.body);
      }
    }
    expect(committed + seen.size).toBe(log.end);
    for (const [seq, id] of acked) {
      expect(seen.get(seq)?.toString(), `acknowledged seq ${seq} (round ${round}, id ${id})`).toBe(crashEnvelope(round, id).body.toString());
    }
    // Store half of what is there, so later rounds also cross reclaimed segments.
    committed = Math.floor((committed + log.end) / 2);
    await log.commit(committed);
    await log.close();
  }
});
