// SASL authentication of one fast-path connection: SaslHandshake, then the mechanism's messages
// in SaslAuthenticate requests. PLAIN: RFC 4616. SCRAM-SHA-256/512: RFC 5802 (Kafka: KIP-84).
// OAUTHBEARER: RFC 7628 client response (Kafka: KIP-255).
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { KafkaSasl } from '../../core/kafka-security.js';
import { decodeSaslAuthenticate, decodeSaslHandshake, encodeSaslAuthenticate, encodeSaslHandshake } from './sasl-requests.js';

/** Sends a request built for a correlation id and resolves with the response body. */
export type Call = (build: (correlationId: number) => Buffer) => Promise<Buffer>;

export class SaslError extends Error {
  override name = 'SaslError';
}

const WIRE_NAME = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512', oauthbearer: 'OAUTHBEARER' } as const;

/** Authenticates; resolves with the session's lifetime in ms (0: no limit). */
export async function authenticate(call: Call, clientId: string, sasl: KafkaSasl): Promise<number> {
  const mechanism = WIRE_NAME[sasl.mechanism];
  const handshake = decodeSaslHandshake(await call((id) => encodeSaslHandshake(id, clientId, mechanism)));
  if (handshake.errorCode !== 0) throw new SaslError(`the broker does not take SASL ${mechanism} (error code ${handshake.errorCode}; it offers ${handshake.mechanisms.join(', ') || 'none'})`);
  const step = async (message: Buffer) => {
    const r = decodeSaslAuthenticate(await call((id) => encodeSaslAuthenticate(id, clientId, message)));
    if (r.errorCode !== 0) throw new SaslError(`SASL ${mechanism} authentication failed: ${r.errorMessage ?? `error code ${r.errorCode}`}`);
    return r;
  };
  if (sasl.mechanism === 'plain') return (await step(Buffer.from(`\0${sasl.username}\0${sasl.password}`))).sessionLifetimeMs;
  if (sasl.mechanism === 'oauthbearer') return (await step(Buffer.from(`n,,\x01auth=Bearer ${await sasl.token()}\x01\x01`))).sessionLifetimeMs;
  return scram(step, sasl.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', sasl.username, sasl.password);
}

export type Step = (message: Buffer) => Promise<{ authBytes: Buffer; sessionLifetimeMs: number }>;

// Off the event loop: thousands of HMAC rounds would hold up every webhook meanwhile.
const deriveKey = promisify(pbkdf2);

const hmac = (hash: string, key: Buffer, text: string) => createHmac(hash, key).update(text).digest();
// RFC 5802 5.1: "=" and "," in a user name are escaped.
const saslName = (name: string) => name.replace(/=/g, '=3D').replace(/,/g, '=2C');

/** The SCRAM exchange (exported with `nonce` so RFC 7677's example can check it). */
export async function scram(step: Step, hash: 'sha256' | 'sha512', username: string, password: string, nonce = randomBytes(24).toString('base64url')): Promise<number> {
  const clientFirstBare = `n=${saslName(username)},r=${nonce}`;
  const serverFirst = (await step(Buffer.from(`n,,${clientFirstBare}`))).authBytes.toString('utf8');
  const fields = new Map(serverFirst.split(',').map((f) => [f.slice(0, 1), f.slice(2)]));
  const serverNonce = fields.get('r') ?? '';
  const salt = Buffer.from(fields.get('s') ?? '', 'base64');
  const iterations = Number(fields.get('i'));
  if (!serverNonce.startsWith(nonce) || salt.length === 0 || !Number.isSafeInteger(iterations) || iterations < 1) {
    throw new SaslError('SCRAM: the broker sent a malformed first message');
  }
  const keyLength = hash === 'sha256' ? 32 : 64;
  const salted = await deriveKey(password, salt, iterations, keyLength, hash);
  const clientKey = hmac(hash, salted, 'Client Key');
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${serverNonce}`; // biws: base64 of the GS2 header "n,,"
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = hmac(hash, storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  const final = await step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`));
  // The broker proves it knows the password too: a server that does not is not the cluster.
  const verifier = /(?:^|,)v=([^,]*)/.exec(final.authBytes.toString('utf8'))?.[1] ?? '';
  const expected = hmac(hash, hmac(hash, salted, 'Server Key'), authMessage);
  const got = Buffer.from(verifier, 'base64');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new SaslError("SCRAM: the broker's signature does not match");
  return final.sessionLifetimeMs;
}
