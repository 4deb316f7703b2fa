// Shared helpers for the embedded-log tests: envelopes that exercise every field, direct
// access to segment files, and the FileHandle prototype for counting or failing syscalls.
import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddedLog } from '../../queue/embedded-log.js';
import type { Envelope, QueuedEnvelope } from '../../queue/envelope.js';

/**
 * Envelope number `i`: the body holds bytes that are not valid UTF-8 (so any text round trip
 * would show), the key non-ASCII text, and every third one carries a reject reason.
 */
export function envelope(i: number, bodyBytes = 40): Envelope {
  const body = Buffer.alloc(bodyBytes);
  for (let b = 0; b < bodyBytes; b++) body[b] = (i * 31 + b * 7) & 0xff;
  body.write(`#${i}:`, 0, 'latin1');
  const env: Envelope = {
    body,
    key: `conv-${i}-ü-😀`,
    agent: i % 2 === 0 ? 'support' : 'sales',
    receivedAtMs: 1_717_171_717_000 + i,
    signature: i % 2 === 0 ? 'valid' : 'unsigned',
  };
  if (i % 3 === 0) env.reject = { code: 'invalid_payload', reason: `field ${i} "missing"` };
  return env;
}

/** Reads everything unread, in small steps so reads cross segment boundaries. */
export async function readAll(log: EmbeddedLog): Promise<QueuedEnvelope[]> {
  const out: QueuedEnvelope[] = [];
  for (;;) {
    const batch = await log.read(7);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/**
 * Segment files in `dir`, oldest first, with the first sequence number each holds, the bytes
 * its records fill (`size`: up to the first record that is not complete and valid) and the
 * file's size (segments are created at full size, zeros after the records).
 */
export async function segmentFiles(dir: string): Promise<{ file: string; firstSeq: number; size: number; fileSize: number }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
  return Promise.all(
    names.map(async (n) => {
      const file = path.join(dir, n);
      const bytes = await readFile(file);
      return { file, firstSeq: Number(n.slice(0, -4)), size: recordsEnd(bytes), fileSize: bytes.length };
    }),
  );
}

/** Where the complete records at the start of a segment's bytes end, read by the framing's rules alone. */
function recordsEnd(bytes: Buffer): number {
  let at = 0;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const end = at + 8 + length;
    if (length === 0 || end > bytes.length || crc32(bytes.subarray(at + 8, end)) !== bytes.readUInt32BE(at + 4)) break;
    at = end;
  }
  return at;
}

/** The prototype every FileHandle shares, so a spy on it sees the log's own handles. */
export async function fileHandlePrototype(): Promise<FileHandle> {
  const fh = await open(fileURLToPath(import.meta.url), 'r');
  await fh.close();
  return Object.getPrototypeOf(fh) as FileHandle;
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Tracks whether a promise has settled, without awaiting it. */
export function settledFlag(p: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false };
  p.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** What the crash appender (crash-appender.ts) appends as number `id` of `round`. */
export function crashEnvelope(round: number, id: number): Envelope {
  // Sizes vary so group writes cross page and segment boundaries at different places.
  const body = Buffer.from(`{"round":${round},"id":${id},"pad":"${'x'.repeat((id * 53) % 700)}"}`);
  return { body, key: `conv-${id % 17}`, agent: `agent-${round}`, receivedAtMs: round * 1e9 + id, signature: 'valid' };
}
