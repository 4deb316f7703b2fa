// /api/admin/*: erasure, dead letters and backups in the running process, on the read API's
// loopback listener, behind the admin token (never the read-only query token). The operations
// themselves come from the composition root (cli/data-ops.ts); one runs at a time.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import type { DeadLetterFilter, DeadLetterSummary, ReplayResult } from '../store/dead-letters.js';
import type { EraseResult, EraseTarget } from '../store/erase.js';
import { bearerAuth } from './bearer-auth.js';

export interface AdminOps {
  erase(target: EraseTarget): Promise<EraseResult>;
  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterSummary[]>;
  replay(options: DeadLetterFilter & { dryRun?: boolean }): Promise<ReplayResult>;
  /** Writes a backup file under DATA_DIR/backups; the CLI moves it where it was asked. */
  backup(): Promise<{ file: string; bytes: number }>;
}

const id = z.string().min(1).max(1024);
const reason = z.string().regex(/^[a-z_]{1,64}$/, { message: 'expected a reason code such as invalid_payload' });
const since = z
  .string()
  .max(64)
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'expected a time such as 2026-01-31 or 2026-01-31T12:00:00Z' });

export const eraseBody = z
  .object({ conversation: id.optional(), message: id.optional(), agent: id.optional() })
  .strict()
  .refine((b) => b.conversation !== undefined || b.message !== undefined, { message: 'expected a conversation or message id' });
export const deadLetterBody = z.object({ reason: reason.optional(), since: since.optional() }).strict();
export const replayBody = z.object({ reason: reason.optional(), dryRun: z.boolean().optional() }).strict();

/** Parses a JSON body against `schema`; anything else is admin_invalid (400). */
export function parseAdminBody<T>(schema: z.ZodType<T>, raw: unknown): T {
  let value: unknown = {};
  if (Buffer.isBuffer(raw) && raw.length > 0) {
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError('admin_invalid', ['the body is not JSON']);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError('admin_invalid', [parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')]);
  return parsed.data;
}

export async function adminRoutes(app: FastifyInstance, opts: { token: string; ops: AdminOps }): Promise<void> {
  app.addHook('onRequest', bearerAuth(opts.token));
  let queue: Promise<unknown> = Promise.resolve();
  // Erasure, replay and backup each change or copy whole tables: one after another.
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  app.post('/api/admin/erase', async (req) => {
    const b = parseAdminBody(eraseBody, req.body);
    const target: EraseTarget = {
      ...(b.conversation !== undefined ? { conversationId: b.conversation } : {}),
      ...(b.message !== undefined ? { messageId: b.message } : {}),
      ...(b.agent !== undefined ? { agent: b.agent } : {}),
    };
    return { removed: await serial(() => opts.ops.erase(target)) };
  });
  app.post('/api/admin/dead-letters/list', async (req) => ({ deadLetters: await opts.ops.listDeadLetters(parseAdminBody(deadLetterBody, req.body)) }));
  app.post('/api/admin/dead-letters/replay', async (req) => {
    const b = parseAdminBody(replayBody, req.body);
    return serial(() => opts.ops.replay(b));
  });
  app.post('/api/admin/backup', async (req) => {
    parseAdminBody(z.object({}).strict(), req.body);
    return serial(() => opts.ops.backup());
  });
}
