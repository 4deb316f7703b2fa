// Listening on a configured address, with the errors a setting causes said as such.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.js';

// Why a listener could not listen, for the errors that a setting causes.
const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EADDRNOTAVAIL: 'is not an address of this machine',
  ENOTFOUND: 'names a host that does not resolve',
  EAI_AGAIN: 'names a host that does not resolve (yet)',
  EACCES: 'needs privileges this user lacks (ports below 1024)',
};

/** Listens, turning the errors a setting causes into config_invalid naming the settings. */
export async function listen(server: FastifyInstance, port: number, host: string, settings: string): Promise<string> {
  return server.listen({ port, host }).catch((err: NodeJS.ErrnoException) => {
    const problem = LISTEN_PROBLEMS[err.code ?? ''];
    if (!problem) throw err;
    const zero = settings.split('/')[0];
    throw new AppError('config_invalid', [`  ${settings}: ${host}:${port} ${problem}; expected a free port on a local address (${zero}=0 picks one)`], { cause: err });
  });
}

/** The base URL this machine reaches a listener on (a wildcard address becomes loopback). */
export function localUrl(address: string, host: string): string {
  const port = Number(new URL(address).port);
  const localHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${localHost.includes(':') ? `[${localHost}]` : localHost}:${port}`;
}
