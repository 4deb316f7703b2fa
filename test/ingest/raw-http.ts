// Raw TCP clients for the receiver's edge tests: what a slow, idle or vanishing client does,
// which fetch cannot express.
import net from 'node:net';

export interface RawClient {
  socket: net.Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves when the connection has closed (from either side). */
  closed: Promise<void>;
}

/** Connects from `localAddress` (a loopback address) and resolves once connected. */
export async function rawClient(port: number, localAddress = '127.0.0.1'): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  // The server may cut the connection at any time: that is what these tests provoke.
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return { socket, received: () => received, closed };
}

/** The head of a POST /webhook that announces `contentLength` bytes of JSON body. */
export function webhookHead(contentLength: number, signature = 'f'.repeat(64)): string {
  return ['POST /webhook HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', `X-Webhook-Signature: ${signature}`, `Content-Length: ${contentLength}`, '', ''].join('\r\n');
}

/** Resolves as `promise` does, or rejects after `ms`: a bounded wait, not a sleep. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
