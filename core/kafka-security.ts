// TLS and SASL for every Kafka connection: the KAFKA_SSL_* and KAFKA_SASL_* variables, checked
// together once at start-up and turned into one KafkaSecurity value (file contents read here).
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import { z } from 'zod';
import { AppError } from './errors.js';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface KafkaTls {
  /** PEM CA certificate(s) to trust instead of the system's; undefined = the system's. */
  ca: Buffer | undefined;
  /** PEM client certificate and key for mutual TLS. */
  cert: Buffer | undefined;
  key: Buffer | undefined;
  /** Name the broker's certificate must carry, when it differs from the host connected to. */
  servername: string | undefined;
}

export type KafkaSasl =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** Asked again whenever a connection authenticates, so an expired token is replaced. */
  | { mechanism: 'oauthbearer'; token: () => Promise<string> };

export interface KafkaSecurity {
  tls: KafkaTls | undefined;
  sasl: KafkaSasl | undefined;
}

/** A path to a file this process can read (checked at start-up; read by kafkaSecurity()). */
export const readableFile = z.string().superRefine((file, ctx) => {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    accessSync(file, constants.R_OK);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected the path of a readable file' });
  }
});

/** The parsed variables kafkaSecurity() reads (a slice of core/config.ts's Env). */
export interface KafkaSecurityEnv {
  KAFKA_SSL: boolean;
  KAFKA_SSL_CA_FILE?: string | undefined;
  KAFKA_SSL_CERT_FILE?: string | undefined;
  KAFKA_SSL_KEY_FILE?: string | undefined;
  KAFKA_SSL_SERVERNAME?: string | undefined;
  KAFKA_SASL_MECHANISM?: SaslMechanism | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
  KAFKA_SASL_PASSWORD_FILE?: string | undefined;
  KAFKA_SASL_OAUTHBEARER_TOKEN_FILE?: string | undefined;
  KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND?: string | undefined;
}

const TLS_FILES = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_SERVERNAME'] as const;
const TOKEN_COMMAND_TIMEOUT_MS = 10_000;
const exec = promisify(execFile);

/** One line of a config_invalid: the variable, its problem and what was expected (no secret values). */
const problem = (line: string) => new AppError('config_invalid', [`  ${line}`]);

/** The variables' meaning as one value; throws config_invalid for a combination that cannot work. */
export function kafkaSecurity(e: KafkaSecurityEnv): KafkaSecurity {
  return { tls: tlsSettings(e), sasl: saslSettings(e) };
}

function tlsSettings(e: KafkaSecurityEnv): KafkaTls | undefined {
  if (!e.KAFKA_SSL) {
    const set = TLS_FILES.find((k) => e[k] !== undefined);
    if (set) throw problem(`${set}: is set but KAFKA_SSL is not; expected KAFKA_SSL=true to connect with TLS`);
    return undefined;
  }
  if (e.KAFKA_SSL_CERT_FILE && !e.KAFKA_SSL_KEY_FILE)
    throw problem(`KAFKA_SSL_CERT_FILE=${JSON.stringify(e.KAFKA_SSL_CERT_FILE)}: a client certificate needs its private key; expected KAFKA_SSL_KEY_FILE too`);
  if (e.KAFKA_SSL_KEY_FILE && !e.KAFKA_SSL_CERT_FILE)
    throw problem(`KAFKA_SSL_KEY_FILE=${JSON.stringify(e.KAFKA_SSL_KEY_FILE)}: a private key needs its client certificate; expected KAFKA_SSL_CERT_FILE too`);
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  const tls: KafkaTls = { ca: read(e.KAFKA_SSL_CA_FILE), cert: read(e.KAFKA_SSL_CERT_FILE), key: read(e.KAFKA_SSL_KEY_FILE), servername: e.KAFKA_SSL_SERVERNAME };
  // Unreadable PEM, or a key that does not belong to the certificate, is found now and not at the first connection.
  for (const [name, part] of [
    ['KAFKA_SSL_CA_FILE', { ca: tls.ca }],
    ['KAFKA_SSL_CERT_FILE', { cert: tls.cert, key: tls.key }],
  ] as const) {
    try {
      createSecureContext(part);
      // createSecureContext takes a CA file without any certificate in it silently.
      if (part.ca) new X509Certificate(part.ca);
    } catch (err) {
      const what = name === 'KAFKA_SSL_CA_FILE' ? 'PEM CA certificate(s)' : 'a PEM certificate and the PEM private key that belongs to it (KAFKA_SSL_KEY_FILE)';
      throw problem(`${name}=${JSON.stringify(e[name])}: ${(err as Error).message}; expected ${what}`);
    }
  }
  return tls;
}

function saslSettings(e: KafkaSecurityEnv): KafkaSasl | undefined {
  const mechanism = e.KAFKA_SASL_MECHANISM;
  const given = (['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE', 'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE', 'KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND'] as const).filter(
    (k) => e[k] !== undefined,
  );
  if (!mechanism) {
    if (given.length > 0) throw problem(`${given[0]}: is set but KAFKA_SASL_MECHANISM is not; expected KAFKA_SASL_MECHANISM (one of ${SASL_MECHANISMS.join(', ')})`);
    return undefined;
  }
  if (mechanism === 'oauthbearer') {
    const wrong = given.find((k) => !k.startsWith('KAFKA_SASL_OAUTHBEARER_'));
    if (wrong) throw problem(`${wrong}: is not used with KAFKA_SASL_MECHANISM=oauthbearer; expected KAFKA_SASL_OAUTHBEARER_TOKEN_FILE or KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND`);
    const file = e.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE;
    const command = e.KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND;
    if ((file === undefined) === (command === undefined)) {
      throw problem(`KAFKA_SASL_MECHANISM=oauthbearer: expected exactly one of KAFKA_SASL_OAUTHBEARER_TOKEN_FILE or KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND`);
    }
    return { mechanism, token: file !== undefined ? () => readToken(file) : () => runTokenCommand(command!) };
  }
  const stray = given.find((k) => k.startsWith('KAFKA_SASL_OAUTHBEARER_'));
  if (stray) throw problem(`${stray}: is only used with KAFKA_SASL_MECHANISM=oauthbearer; expected it unset with ${mechanism}`);
  if (e.KAFKA_SASL_USERNAME === undefined) throw problem(`KAFKA_SASL_USERNAME: expected a user name with KAFKA_SASL_MECHANISM=${mechanism}`);
  if (e.KAFKA_SASL_PASSWORD !== undefined && e.KAFKA_SASL_PASSWORD_FILE !== undefined) {
    throw problem('KAFKA_SASL_PASSWORD=(hidden): KAFKA_SASL_PASSWORD_FILE is set too; expected one of them');
  }
  const password = e.KAFKA_SASL_PASSWORD_FILE !== undefined ? withoutFinalNewline(readFileSync(e.KAFKA_SASL_PASSWORD_FILE, 'utf8')) : e.KAFKA_SASL_PASSWORD;
  if (!password) throw problem(`KAFKA_SASL_PASSWORD: expected a password (or KAFKA_SASL_PASSWORD_FILE naming a file that holds one) with KAFKA_SASL_MECHANISM=${mechanism}`);
  return { mechanism, username: e.KAFKA_SASL_USERNAME, password };
}

/** No OAUTHBEARER token to send: the file or command named by the settings gave none (kafka-security-errors.ts reports it). */
export class KafkaTokenError extends Error {
  override readonly name = 'KafkaTokenError';

  constructor(
    message: string,
    /** What the setting should give instead. */
    readonly expected: string,
  ) {
    super(message);
  }
}

const FILE_TOKEN = 'a readable file holding the current token';
const COMMAND_TOKEN = 'a command that prints the current token and exits 0';

/** Files written by editors and `echo` end with a newline that is not part of the secret. */
const withoutFinalNewline = (text: string) => text.replace(/\r?\n$/, '');

async function readToken(file: string): Promise<string> {
  const token = (
    await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new KafkaTokenError(`KAFKA_SASL_OAUTHBEARER_TOKEN_FILE ${file} cannot be read (${err.code ?? err.message})`, FILE_TOKEN);
    })
  ).trim();
  if (!token) throw new KafkaTokenError(`KAFKA_SASL_OAUTHBEARER_TOKEN_FILE ${file} is empty`, FILE_TOKEN);
  return token;
}

async function runTokenCommand(command: string): Promise<string> {
  // The command line may hold a client secret: the error says how it ended, never what it was.
  const { stdout } = await exec('/bin/sh', ['-c', command], { timeout: TOKEN_COMMAND_TIMEOUT_MS, maxBuffer: 1024 * 1024 }).catch((err: { code?: unknown; signal?: unknown; stderr?: string }) => {
    const how = err.signal ? `was ended by ${String(err.signal)}` : `exited with ${String(err.code)}`;
    throw new KafkaTokenError(
      `KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND ${how}: ${
        String(err.stderr ?? '')
          .trim()
          .split('\n')[0] ?? ''
      }`,
      COMMAND_TOKEN,
    );
  });
  const token = stdout.trim();
  if (!token) throw new KafkaTokenError('KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND printed no token', COMMAND_TOKEN);
  return token;
}

/** Options for tls.connect (and kafkajs's `ssl`): only what is set, so kafkajs's own servername choice stands otherwise. */
export function tlsOptions(tls: KafkaTls): { ca?: Buffer[]; cert?: Buffer; key?: Buffer; servername?: string; rejectUnauthorized: true } {
  return {
    ...(tls.ca && { ca: [tls.ca] }),
    ...(tls.cert && { cert: tls.cert }),
    ...(tls.key && { key: tls.key }),
    ...(tls.servername && { servername: tls.servername }),
    rejectUnauthorized: true,
  };
}
