// Errors a client causes by going away or by being too slow: expected at the edge of the
// internet and caused by unauthenticated peers, so they are logged once per connection at
// debug level, without a stack, and never as server errors.
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';

// Codes Node gives a request or socket when the peer reset, closed early or timed out.
const ABORT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_HTTP_REQUEST_TIMEOUT']);

const logged = Symbol('clientAbortLogged');
type MarkedSocket = Socket & { [logged]?: true };

/** Logs that a client went away, once per connection (the socket and its request both report it). */
function logAbortOnce(log: FastifyBaseLogger, socket: Socket | undefined, err: NodeJS.ErrnoException): void {
  const marked = socket as MarkedSocket | undefined;
  if (marked?.[logged]) return;
  if (marked) marked[logged] = true;
  log.debug({ code: err.code, reason: err.message, remoteAddress: socket?.remoteAddress }, 'client went away');
}

/** True when `err` means the client left (or was cut for slowness), not that the server failed. */
export function isClientAbort(err: FastifyError, req: FastifyRequest): boolean {
  // Only once the connection is gone: a dependency's own reset inside a handler is a server error.
  if (!req.raw.socket?.destroyed || err.code === undefined) return false;
  // The body parser's own errors count too when the stream ended because the peer went away.
  return ABORT_CODES.has(err.code) || err.code.startsWith('FST_ERR_CTP_');
}

export function logClientAbort(req: FastifyRequest, err: FastifyError): void {
  logAbortOnce(req.log, req.raw.socket, err);
}

/**
 * fastify's clientErrorHandler: a request not received within REQUEST_TIMEOUT_MS gets 408 in the
 * catalogue's shape when nothing has been sent on the connection yet; malformed HTTP gets the
 * bare status line Node itself would send. Either way the connection is then closed.
 */
export function clientErrorHandler(requestTimeoutMs: number) {
  const timeoutBody = JSON.stringify(new AppError('request_timeout', [requestTimeoutMs]).toJSON());
  const timeoutAnswer = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(timeoutBody)}\r\n\r\n${timeoutBody}`;
  return function handle(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    if (ABORT_CODES.has(err.code ?? '')) logAbortOnce(this.log, socket, err);
    else this.log.debug({ code: err.code, reason: err.message, remoteAddress: socket.remoteAddress }, 'malformed HTTP from a client');
    // Nothing may be written into a response that has already begun.
    const responding = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (socket.writable && !responding && err.code !== 'ECONNRESET') {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.write(timeoutAnswer);
      else socket.write(`HTTP/1.1 ${err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy();
  };
}
