// The read-only SQL endpoint of the running process. chDB locks its data directory to one
// process, so `reply-analytics sql` and BI tools query through here while the pipeline runs.
//   POST /api/query  {"query": "...", "format": "JSONEachRow"}   (or GET ?query=&format=)
//   Authorization: Bearer <QUERY_TOKEN>
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import type { QueryLimits } from '../store/read-only-query.js';
import type { Store } from '../store/store.js';
import { bearerAuth } from './bearer-auth.js';
import { clientGone } from './client-gone.js';
import type { QuerySlots } from './query-slots.js';

export interface QueryRouteOptions {
  store: Store;
  token: string;
  limits: QueryLimits;
  slots: QuerySlots;
}

const requestSchema = z.object({
  query: z.string({ error: 'expected "query": a SQL string' }),
  format: z.string().regex(/^\w+$/, { error: 'expected a ClickHouse output format name' }).default('JSONEachRow'),
});

export async function queryRoutes(app: FastifyInstance, opts: QueryRouteOptions): Promise<void> {
  const authorize = bearerAuth(opts.token);

  const run = async (input: unknown, reply: FastifyReply) => {
    const parsed = requestSchema.safeParse(input);
    if (!parsed.success) throw new AppError('query_invalid', [parsed.error.issues.map((i) => i.message).join('; ')]);
    const release = opts.slots.take();
    try {
      return await opts.store.readOnlyQuery(parsed.data.query, parsed.data.format, { limits: opts.limits, signal: clientGone(reply) });
    } finally {
      release();
    }
  };

  app.get('/api/query', { onRequest: authorize }, async (req, reply) => {
    return reply.type('text/plain; charset=utf-8').send(await run(req.query, reply));
  });
  app.post('/api/query', { onRequest: authorize }, async (req, reply) => {
    let input: unknown;
    try {
      input = JSON.parse((req.body as Buffer | undefined)?.toString('utf8') ?? '');
    } catch {
      throw new AppError('query_invalid', ['expected a JSON body {"query": "...", "format": "..."}']);
    }
    return reply.type('text/plain; charset=utf-8').send(await run(input, reply));
  });
}
