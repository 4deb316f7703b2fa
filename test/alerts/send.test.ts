// Delivery against a real local HTTP server: retries with backoff for what may succeed later,
// none for a request the receiver refuses as such.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendJson, SIGNATURE_HEADER } from '../../alerts/send.js';
import { sign } from '../helpers/sign.js';
import { freePort } from './webhook-receiver.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A server answering each request with the next status of `statuses`; returns its URL and the requests. */
async function scripted(statuses: number[]): Promise<{ url: string; requests: { body: string; signature: string | undefined }[] }> {
  const requests: { body: string; signature: string | undefined }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ body, signature: req.headers[SIGNATURE_HEADER] as string | undefined });
      res.writeHead(statuses[requests.length - 1] ?? 200).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests };
}

describe('sendJson', () => {
  it('retries 5xx and 429 until the receiver takes it, signing every attempt', async () => {
    const { url, requests } = await scripted([503, 429, 200]);
    expect(await sendJson({ a: 1 }, { url, secret: 'k', backoffMs: 1 })).toEqual({ ok: true });
    expect(requests).toHaveLength(3);
    for (const r of requests) expect(r.signature).toBe(sign('{"a":1}', 'k'));
  });

  it('gives up after the bounded number of attempts, saying it may work later', async () => {
    const { url, requests } = await scripted([500, 500, 500, 500, 500]);
    expect(await sendJson({}, { url, attempts: 3, backoffMs: 1 })).toEqual({ ok: false, retriable: true, reason: 'HTTP 500' });
    expect(requests).toHaveLength(3);
  });

  it('a 400 is not retried', async () => {
    const { url, requests } = await scripted([400]);
    expect(await sendJson({}, { url, backoffMs: 1 })).toMatchObject({ ok: false, retriable: false });
    expect(requests).toHaveLength(1);
  });

  it('a receiver that is not listening is retriable', async () => {
    const port = await freePort();
    expect(await sendJson({}, { url: `http://127.0.0.1:${port}/`, attempts: 2, backoffMs: 1 })).toMatchObject({ ok: false, retriable: true, reason: 'ECONNREFUSED' });
  });
});
