// http/lazy-child-logger.ts: a request's logger writes as pino's own child would, with the
// request's bindings and the level's filtering, and makes that child only once it writes.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { lazyChildLogger } from '../../http/lazy-child-logger.js';

function parentLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const make = (parent: FastifyBaseLogger) => lazyChildLogger.call(undefined as never, parent, { reqId: 'req-1' }, {}, undefined as never);

describe('lazy child logger', () => {
  it('writes every level through a child bound to the request, filtered by level', () => {
    const { logger, lines } = parentLogger();
    const child = make(logger);
    child.fatal('f');
    child.error({ code: 'x' }, 'e');
    child.warn('w');
    child.info('i');
    child.debug('d');
    child.trace('t');
    expect(lines.map((l) => [l.level, l.reqId, l.msg])).toEqual([
      [60, 'req-1', 'f'],
      [50, 'req-1', 'e'],
      [40, 'req-1', 'w'],
      [30, 'req-1', 'i'],
    ]);
    expect(lines[1]!.code).toBe('x');
  });

  it('makes no child until a line is written', () => {
    const { logger } = parentLogger();
    let children = 0;
    const counting = Object.create(logger, { child: { value: (...args: Parameters<typeof logger.child>) => (children++, logger.child(...args)) } }) as typeof logger;
    const child = make(counting);
    expect(child.level).toBe('info');
    expect(children).toBe(0);
    child.info('now');
    child.info('again');
    expect(children).toBe(1);
  });
});
