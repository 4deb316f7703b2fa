// Delivers one notification: an HTTP POST of JSON, signed when a secret is set, retried with
// bounded exponential backoff. A receiver that refuses the request itself (4xx other than 408
// and 429) will refuse it again, so that is not retried.
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const SIGNATURE_HEADER = 'x-alert-signature';

export interface SendOptions {
  url: string;
  /** HMAC-SHA256 key: the body's hex signature goes in X-Alert-Signature. */
  secret?: string;
  attempts?: number;
  /** The first retry's wait; each later one doubles it. */
  backoffMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type SendResult = { ok: true } | { ok: false; retriable: boolean; reason: string };

export const signBody = (body: string, secret: string): string => createHmac('sha256', secret).update(body).digest('hex');

async function postOnce(body: string, o: SendOptions): Promise<SendResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'aksita-reply-analytics-alerts' };
  if (o.secret) headers[SIGNATURE_HEADER] = signBody(body, o.secret);
  const signals = [AbortSignal.timeout(o.timeoutMs ?? 10_000), ...(o.signal ? [o.signal] : [])];
  try {
    const res = await fetch(o.url, { method: 'POST', headers, body, signal: AbortSignal.any(signals), redirect: 'error' });
    await res.body?.cancel();
    if (res.ok) return { ok: true };
    const retriable = res.status >= 500 || res.status === 408 || res.status === 429;
    return { ok: false, retriable, reason: `HTTP ${res.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, retriable: true, reason: cause ?? (err as Error).message };
  }
}

export async function sendJson(payload: unknown, o: SendOptions): Promise<SendResult> {
  const body = JSON.stringify(payload);
  const attempts = o.attempts ?? 4;
  let result: SendResult = { ok: false, retriable: true, reason: 'not sent' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    result = await postOnce(body, o);
    if (result.ok || !result.retriable || attempt === attempts || o.signal?.aborted) return result;
    await sleep((o.backoffMs ?? 500) * 2 ** (attempt - 1), undefined, { signal: o.signal }).catch(() => undefined);
  }
  return result;
}
