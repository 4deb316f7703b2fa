// Kafka failures at start-up that no retry can mend, only the settings: refused credentials, a
// certificate not trusted, a mechanism or listener that does not fit. Each becomes a
// config_invalid naming the variable, so `ingest` and `consume` exit (code 2) instead of retrying
// an "unreachable" broker for ever. So does an OAUTHBEARER token file or command that gives no
// token (at start-up that stops the process; later the forwarder and the consumer log it and
// retry). Branches on kafkajs's error names and types and on Node's TLS error codes; for a socket
// closed mid-handshake, the listener itself is asked what it speaks.
import net from 'node:net';
import tls from 'node:tls';
import type { KafkaConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';

// Node's codes for a broker certificate this client does not trust.
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
// OpenSSL's codes for bytes that are not TLS where TLS was expected.
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL']);
const PROBE_MS = 2_000;
// A token with less left than this is reported as the cause of a refused session.
const SHORT_TOKEN_S = 60;

interface Link {
  name?: string;
  /** KafkaTokenError's: what the setting should give instead. */
  expected?: string;
  type?: string;
  code?: string;
  message?: string;
}

/** The error and its causes, outermost first. */
function chain(err: unknown): Link[] {
  const out: Link[] = [];
  for (let e = err as (Link & { cause?: unknown; originalError?: unknown }) | undefined; e && out.length < 8; e = (e.cause ?? e.originalError) as typeof e) out.push(e);
  return out;
}

const line = (text: string) => new AppError('config_invalid', [`  ${text}`]);

/** A config_invalid for a failure the settings cause, or undefined for one a retry may mend. */
export async function securityProblem(err: unknown, config: KafkaConfig): Promise<AppError | undefined> {
  const links = chain(err);
  const { tls: tlsOn, sasl } = config.security;
  const brokers = config.brokers.join(',');
  const tokenless = links.find((l) => l.name === 'KafkaTokenError');
  if (tokenless) return line(`${tokenless.message}; expected ${tokenless.expected}`);
  const sasled = links.find((l) => l.name === 'KafkaJSSASLAuthenticationError');
  const saslRefused = sasled || links.some((l) => l.type === 'ILLEGAL_SASL_STATE' || l.type === 'UNSUPPORTED_SASL_MECHANISM');
  // An expired token fails however kafkajs reports it (often as "No brokers in the broker pool");
  // one that expires within seconds is refused as the session starts.
  const left = sasl?.mechanism === 'oauthbearer' ? await tokenSecondsLeft(sasl.token) : undefined;
  if (left !== undefined && (left <= 0 || (saslRefused && left < SHORT_TOKEN_S))) {
    const when = left > 0 ? `expires in ${left} s` : `expired ${-left} s ago`;
    return line(`KAFKA_SASL_MECHANISM=oauthbearer: Kafka (${brokers}) ended the session: the token ${when}; expected a token valid for a minute or more from the token file or command`);
  }
  if (sasled && sasl) {
    const who = sasl.mechanism === 'oauthbearer' ? 'the token' : `user ${JSON.stringify(sasl.username)}`;
    return line(`KAFKA_SASL_MECHANISM=${sasl.mechanism}: Kafka (${brokers}) refused ${who}: ${sasled.message}; expected credentials the cluster knows, with a mechanism it offers`);
  }
  if (links.some((l) => l.type === 'ILLEGAL_SASL_STATE' || l.type === 'UNSUPPORTED_SASL_MECHANISM')) {
    return line(
      `KAFKA_SASL_MECHANISM=${sasl?.mechanism ?? '(unset)'}: the listener at ${brokers} does not take ${sasl ? 'this SASL mechanism' : 'connections without SASL'}; expected the brokers' listener for these settings (their SASL port, or KAFKA_SASL_MECHANISM as the listener needs)`,
    );
  }
  const code = links.map((l) => l.code).find((c) => c && (UNTRUSTED.has(c) || NOT_TLS.has(c) || /^ERR_SSL_.*ALERT/.test(c)));
  if (code && UNTRUSTED.has(code)) {
    const fix =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'a host in KAFKA_BROKERS (or KAFKA_SSL_SERVERNAME) that the certificate names'
        : "KAFKA_SSL_CA_FILE naming the CA that signed the brokers' certificates (unset: the system's CAs)";
    return line(`KAFKA_SSL_CA_FILE=${tlsOn?.ca ? '(set)' : '(unset)'}: the certificate of Kafka (${brokers}) is not trusted (${code}); expected ${fix}`);
  }
  if (code && NOT_TLS.has(code)) return line(`KAFKA_SSL=true: Kafka (${brokers}) did not answer with TLS (${code}); expected the brokers' TLS listener`);
  if (code) return line(`KAFKA_SSL_CERT_FILE=${tlsOn?.cert ? '(set)' : '(unset)'}: Kafka (${brokers}) ended the TLS handshake (${code}); expected a client certificate its listener trusts`);
  // No code says more: a socket closed during the handshake. Ask the listener what it speaks.
  if (!links.some((l) => l.name === 'KafkaJSConnectionClosedError' || l.code === 'ECONNRESET')) return undefined;
  const [host = '', port = ''] = splitHostPort(config.brokers[0] ?? '');
  if (tlsOn && (await speaksPlaintextKafka(host, Number(port)))) return line(`KAFKA_SSL=true: ${host}:${port} is a plaintext Kafka listener; expected the brokers' TLS listener (or KAFKA_SSL=false)`);
  if (!tlsOn && (await speaksTls(host, Number(port))))
    return line(`KAFKA_SSL=false: ${host}:${port} is a TLS listener; expected KAFKA_SSL=true (with its CA and SASL settings) or the brokers' plaintext listener`);
  return undefined;
}

/** Seconds until the current token's `exp` (a JWT's), or undefined for a token without one or no token. */
async function tokenSecondsLeft(token: () => Promise<string>): Promise<number | undefined> {
  try {
    const claims = JSON.parse(Buffer.from((await token()).split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? Math.round(claims.exp - Date.now() / 1000) : undefined;
  } catch {
    return undefined;
  }
}

function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}

/** True when the address answers a Kafka ApiVersions v0 request in plaintext. */
function speaksPlaintextKafka(host: string, port: number): Promise<boolean> {
  // Size, api key 18, version 0, correlation id 1, client id "probe"; no body.
  const request = Buffer.from([0, 0, 0, 15, 0, 18, 0, 0, 0, 0, 0, 1, 0, 5, ...Buffer.from('probe')]);
  return probe(net.connect({ host, port }), 'connect', (socket, done) => {
    socket.write(request);
    socket.on('data', (d: Buffer) => done(d.length >= 8 && d.readInt32BE(4) === 1));
  });
}

/** True when the address completes a TLS handshake (any certificate: this only asks what it speaks). */
function speaksTls(host: string, port: number): Promise<boolean> {
  return probe(tls.connect({ host, port, rejectUnauthorized: false, ...(!net.isIP(host) && { servername: host }) }), 'secureConnect', (_socket, done) => done(true));
}

function probe(socket: net.Socket, ready: string, onReady: (socket: net.Socket, done: (yes: boolean) => void) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (yes: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => done(false), PROBE_MS);
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.once(ready, () => onReady(socket, done));
  });
}
