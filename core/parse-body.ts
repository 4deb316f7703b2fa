// Raw bytes -> one JSON object, refusing what JSON.parse would silently accept:
// invalid UTF-8 (decoded to U+FFFD), duplicate keys (last one wins), prototype-polluting
// keys (via fastify's secure-json-parse) and absurd nesting.
import { isUtf8 } from 'node:buffer';
import sjson from 'secure-json-parse';
import type { ErrorCode } from './errors.js';

export const MAX_DEPTH = 32;

export type ParsedBody = { ok: true; value: Record<string, unknown>; /** The body as text (valid UTF-8). */ text: string } | { ok: false; code: ErrorCode; args: unknown[] };

export function parseBody(body: Buffer): ParsedBody {
  if (body.length === 0) return { ok: false, code: 'empty_body', args: [] };
  // Checked first: toString would silently turn invalid bytes into U+FFFD.
  if (!isUtf8(body)) return { ok: false, code: 'invalid_utf8', args: [] };
  const text = body.toString('utf8');
  // A leading byte order mark is ignored, as JSON allows (RFC 8259 §8.1); `text` keeps it, so
  // the stored body stays byte-exact.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = sjson.parse(json, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/prototype/i.test(message)) return { ok: false, code: 'forbidden_key', args: [/constructor/.test(message) ? 'constructor' : '__proto__'] };
    return { ok: false, code: 'malformed_json', args: [message] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, code: 'not_an_object', args: [kind] };
  }
  const structural = checkStructure(json, value);
  if (structural) return structural;
  return { ok: true, value: value as Record<string, unknown>, text };
}

/**
 * Walks already-valid JSON text once, iteratively (no recursion, so no stack limit), counting
 * keys and checking nesting. JSON.parse keeps one value per key, so the body has a duplicate
 * key exactly when the text holds more keys than the parsed value; only then is the text
 * walked again to name the key (the common case skips a Set per object).
 */
function checkStructure(text: string, value: object): ParsedBody | undefined {
  let keys = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      let k = i + 1;
      while (isSpace(text.charCodeAt(k))) k += 1;
      if (text.charCodeAt(k) === COLON) keys += 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > MAX_DEPTH) return { ok: false, code: 'too_deep', args: [MAX_DEPTH] };
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  if (keys === countKeys(value)) return undefined;
  const key = duplicateKey(text);
  return { ok: false, code: 'duplicate_key', args: [key] };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Index of the quote that ends the string opened at `open`: the next one not escaped by an odd number of backslashes. */
function closingQuote(text: string, open: number): number {
  let j = open;
  for (;;) {
    j = text.indexOf('"', j + 1);
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return j;
  }
}

/** Keys of every object in a parsed JSON value (at most MAX_DEPTH deep: checked before). */
function countKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += countKeys(item);
    return n;
  }
  for (const key in value) n += 1 + countKeys((value as Record<string, unknown>)[key]);
  return n;
}

/** The first key that appears twice within one object (the text is known to have one). */
function duplicateKey(text: string): string {
  // One entry per open container: the keys seen so far (objects) or null (arrays).
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const j = closingQuote(text, i);
      const top = stack.at(-1);
      if (expectKey && top) {
        const raw = text.slice(i + 1, j);
        // Escapes decoded only when there are any: "a" and "\u0061" are the same key.
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      stack.push(c === OPEN_OBJECT ? new Set() : null);
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA) {
      expectKey = stack.at(-1) instanceof Set;
    }
  }
  throw new Error('duplicateKey: the text has no duplicate key');
}
