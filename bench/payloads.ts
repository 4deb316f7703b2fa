// Signed, seed-shaped webhook requests (the spec's example payload) with distinct message ids.
// Request i of a run is a pure function of (prefix, i), so a generator can precompute a pool
// or build each request when it sends it, and ids never repeat within a run.
import { createHash, createHmac } from 'node:crypto';

export interface RequestSource {
  /** Makes message ids unique to one run: the store keeps (agent, message_id) once. */
  prefix: string;
  /** Signs with X-Webhook-Signature when set. */
  secret?: string;
}

export interface SignedRequest {
  messageId: string;
  body: Buffer;
  headers: Record<string, string>;
}

// The spec's example timestamp shape (RFC 3339 with a +07:00 offset), at the time of sending.
function seedTimestamp(ms: number): string {
  return `${new Date(ms + 7 * 3_600_000).toISOString().slice(0, 19)}+07:00`;
}

const runIds = new Map<string, string>();
const runId = (prefix: string): string => {
  let id = runIds.get(prefix);
  if (!id) runIds.set(prefix, (id = createHash('sha256').update(prefix).digest('hex')));
  return id;
};

/** Request `i`: about eight replies per conversation, as a human agent's chat would have. */
export function signedRequest(src: RequestSource, i: number, nowMs = Date.now()): SignedRequest {
  const messageId = `${src.prefix}-${i}`;
  const run = runId(src.prefix);
  const conversation = `${run.slice(0, 8)}-${run.slice(8, 12)}-4${run.slice(13, 16)}-8${run.slice(17, 20)}-${(i >> 3).toString(16).padStart(12, '0')}`;
  const body = Buffer.from(
    JSON.stringify({
      response: ['hello', 'Thanks for waiting, I have checked your order and it ships tomorrow.'],
      message_id: messageId,
      conversation_id: conversation,
      credits: 0,
      remaining_credits: 1234 - (i % 1000),
      additional_context: '',
      source: 'human_agent',
      timestamp: seedTimestamp(nowMs),
    }),
  );
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Aksita-Webhook/1.0' };
  if (src.secret) headers['x-webhook-signature'] = createHmac('sha256', src.secret).update(body).digest('hex');
  return { messageId, body, headers };
}

export function signedPool(src: RequestSource, size: number): SignedRequest[] {
  const now = Date.now();
  return Array.from({ length: size }, (_, i) => signedRequest(src, i, now));
}

/** The complete HTTP/1.1 request bytes, for generators that write straight to a socket. */
export function rawRequest(req: SignedRequest, host: string, path = '/webhook'): Buffer {
  const lines = [`POST ${path} HTTP/1.1`, `host: ${host}`, 'connection: keep-alive', `content-length: ${req.body.length}`];
  for (const [k, v] of Object.entries(req.headers)) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), req.body]);
}
