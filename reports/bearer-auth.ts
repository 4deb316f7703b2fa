// The bearer-token check shared by the read API's routes (/api/query, /api/reports/*).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';

// Hashing both sides gives equal lengths, as timingSafeEqual requires, without leaking the length.
const digest = (s: string) => createHash('sha256').update(s).digest();

/** An onRequest hook that rejects a request without `Authorization: Bearer <token>`. */
export function bearerAuth(token: string): (req: FastifyRequest) => Promise<void> {
  const expected = digest(token);
  return async (req) => {
    // The scheme's name is case-insensitive (RFC 9110): "bearer x" is the same as "Bearer x".
    const given = /^bearer +(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!given || !timingSafeEqual(digest(given), expected)) throw new AppError('unauthorized');
  };
}
