// The query token as a bearer token, compared in constant time (as reports/bearer-auth.ts does
// for the read API, which this folder may not import).
import { createHash, timingSafeEqual } from 'node:crypto';

// Hashing both sides gives equal lengths, as timingSafeEqual requires, without leaking the length.
const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(authorization: string | undefined, token: string): boolean {
  const given = /^bearer +(.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  return given !== '' && timingSafeEqual(digest(given), digest(token));
}
