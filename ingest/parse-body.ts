// Raw bytes -> one JSON object, refusing what JSON.parse would silently accept:
// invalid UTF-8 (decoded to U+FFFD), duplicate keys (last one wins), prototype-polluting
// keys (via fastify's secure-json-parse) and absurd nesting.
import sjson from 'secure-json-parse';
import type { ErrorCode } from '../core/errors.js';

export const MAX_DEPTH = 32;

export type ParsedBody =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; code: ErrorCode; args: unknown[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseBody(body: Buffer): ParsedBody {
  if (body.length === 0) return { ok: false, code: 'empty_body', args: [] };
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, code: 'invalid_utf8', args: [] };
  }
  let value: unknown;
  try {
    value = sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/prototype/i.test(message)) return { ok: false, code: 'forbidden_key', args: [/constructor/.test(message) ? 'constructor' : '__proto__'] };
    return { ok: false, code: 'malformed_json', args: [message] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, code: 'not_an_object', args: [kind] };
  }
  const structural = checkStructure(text);
  if (structural) return structural;
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Walks already-valid JSON text once, iteratively (no recursion, so no stack limit), to find
 * duplicate keys within one object and nesting deeper than MAX_DEPTH.
 */
function checkStructure(text: string): ParsedBody | undefined {
  // One entry per open container: the keys seen so far (objects) or null (arrays).
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack.at(-1);
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return { ok: false, code: 'duplicate_key', args: [key] };
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_DEPTH) return { ok: false, code: 'too_deep', args: [MAX_DEPTH] };
      stack.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack.at(-1) instanceof Set;
    }
  }
  return undefined;
}
