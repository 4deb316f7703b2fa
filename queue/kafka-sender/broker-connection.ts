// One socket of the fast path to one broker: plain TCP or TLS, SASL-authenticated when
// configured, with requests in flight matched to responses by correlation id.
import net from 'node:net';
import tls from 'node:tls';
import { tlsOptions, type KafkaSecurity } from '../../core/kafka-security.js';
import { authenticate } from './sasl-client.js';

export class KafkaSendError extends Error {
  override name = 'KafkaSendError';
}

// Reconnect when this share of a SASL session's lifetime has passed, before the broker ends it.
const SESSION_SHARE = 0.8;

export class BrokerConnection {
  private readonly socket: net.Socket;
  private readonly waiting = new Map<number, { resolve: (body: Buffer) => void; reject: (err: Error) => void }>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: Error | undefined;
  private correlationId = 0;
  private expired = false;
  private expiry: NodeJS.Timeout | undefined;
  /** Connected, and authenticated when SASL is configured. */
  readonly connected: Promise<void>;

  constructor(
    readonly address: string,
    host: string,
    port: number,
    clientId: string,
    security: KafkaSecurity,
  ) {
    const secure = security.tls;
    this.socket = secure ? tls.connect({ host, port, ...(!net.isIP(host) && { servername: host }), ...tlsOptions(secure) }) : net.connect({ host, port });
    this.socket.setNoDelay(true);
    const open = new Promise<void>((resolve, reject) => {
      this.socket.once(secure ? 'secureConnect' : 'connect', resolve);
      this.socket.once('error', reject);
      this.socket.once('close', () => reject(this.failure ?? new Error('the connection closed before it was ready')));
    });
    const { sasl } = security;
    this.connected = sasl
      ? open.then(async () => {
          const lifetimeMs = await authenticate((build) => this.call(build), clientId, sasl);
          if (lifetimeMs > 0) this.expiry = setTimeout(() => (this.expired = true), lifetimeMs * SESSION_SHARE).unref();
        })
      : open;
    this.connected.catch((err: Error) => this.fail(new KafkaSendError(`connecting to Kafka broker ${address} failed: ${err?.message}`, { cause: err })));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(new KafkaSendError(`connection to Kafka broker ${address} failed: ${err.message}`, { cause: err })));
    this.socket.on('close', () => this.fail(new KafkaSendError(`connection to Kafka broker ${address} closed`)));
  }

  /** False once failed or closed, or once its SASL session is near its end: a new one is needed. */
  get usable(): boolean {
    return this.failure === undefined && !this.expired;
  }

  /** Sends the request built for the next correlation id; resolves with the response body. */
  call(build: (correlationId: number) => Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = (this.correlationId = (this.correlationId + 1) & 0x7fffffff);
    const bytes = build(correlationId);
    return new Promise((resolve, reject) => {
      this.waiting.set(correlationId, { resolve, reject });
      this.socket.write(bytes);
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (head.length < 4 + size) {
        this.chunks = [head];
        return;
      }
      const correlationId = head.readInt32BE(4);
      const body = head.subarray(8, 4 + size);
      const rest = head.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      const waiter = this.waiting.get(correlationId);
      this.waiting.delete(correlationId);
      waiter?.resolve(body);
    }
    // An expired connection is replaced; it ends once its last answer is in.
    if (this.expired && this.waiting.size === 0) this.close();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    clearTimeout(this.expiry);
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.socket.destroy();
  }

  /** Ends the connection once its last request is answered (a replacement takes new ones). */
  retire(): void {
    this.expired = true;
    if (this.waiting.size === 0) this.close();
  }

  close(): void {
    this.fail(new KafkaSendError(`connection to Kafka broker ${this.address} closed by the publisher`));
  }
}
