// HMAC-SHA256 of the raw request bytes, hex encoded, as Aksita sends it in X-Webhook-Signature.
// Verified over the exact bytes received (never re-serialised JSON), compared in constant time.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export type SignatureCheck = { ok: true } | { ok: false; code: 'signature_missing' } | { ok: false; code: 'signature_invalid'; why: string };

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * @param headers every value of X-Webhook-Signature in the request (0, 1 or more)
 * @param secrets the agent's active secrets (as text, or as hmacKey made them); any one may match (rotation)
 */
export function verifySignature(body: Buffer, headers: readonly string[], secrets: readonly (string | KeyObject)[]): SignatureCheck {
  if (headers.length === 0) return { ok: false, code: 'signature_missing' };
  if (headers.length > 1) return { ok: false, code: 'signature_invalid', why: 'the header was sent more than once' };
  const given = headers[0]!.trim();
  if (given === '') return { ok: false, code: 'signature_missing' };
  if (!HEX_SHA256.test(given)) return { ok: false, code: 'signature_invalid', why: 'expected 64 hexadecimal characters' };
  // Hex is case-insensitive: uppercase digits of the right bytes are the same signature.
  const expected = Buffer.from(given, 'hex');
  let matched = false;
  for (const secret of secrets) {
    const actual = createHmac('sha256', secret).update(body).digest();
    // No early exit: the time taken does not depend on which secret matched.
    matched = timingSafeEqual(actual, expected) || matched;
  }
  return matched ? { ok: true } : { ok: false, code: 'signature_invalid', why: 'no configured secret produces it' };
}

/**
 * A secret as the key createHmac takes fastest. Not a Buffer: from Node 24 an HMAC keyed with a
 * Buffer costs several times one keyed with a KeyObject (BENCHMARKS.md, "HMAC keys on Node 24").
 */
export const hmacKey = (secret: string): KeyObject => createSecretKey(Buffer.from(secret, 'utf8'));
