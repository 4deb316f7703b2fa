// KAFKA_SSL* and KAFKA_SASL*: each rule of core/kafka-security.ts, with certificates made by openssl.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { makeTestCerts } from '../../tools/kafka/test-certs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'aksita-kafka-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const certs = makeTestCerts(dir);
const file = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
const BROKERS = { KAFKA_BROKERS: 'k:9093' };
const security = (env: Record<string, string>) => loadConfig({ ...BROKERS, ...env }).kafka!.security;
const failure = (env: Record<string, string>) => {
  try {
    loadConfig({ ...BROKERS, ...env });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
};

describe('Kafka TLS and SASL settings', () => {
  it('nothing set: plaintext without SASL', () => {
    expect(security({})).toEqual({ tls: undefined, sasl: undefined });
  });

  it('KAFKA_SSL=true alone trusts the system CAs', () => {
    expect(security({ KAFKA_SSL: 'true' }).tls).toEqual({ ca: undefined, cert: undefined, key: undefined, servername: undefined });
  });

  it('CA, client certificate, key and server name are read at start-up', () => {
    const tls = security({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: certs.caFile,
      KAFKA_SSL_CERT_FILE: certs.clientCertFile,
      KAFKA_SSL_KEY_FILE: certs.clientKeyFile,
      KAFKA_SSL_SERVERNAME: 'localhost',
    }).tls!;
    expect(tls.ca!.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls.cert!.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls.key!.toString()).toContain('PRIVATE KEY');
    expect(tls.servername).toBe('localhost');
  });

  it('KAFKA_SSL must be a flag', () => {
    expect(failure({ KAFKA_SSL: 'yes please' })).toContain('KAFKA_SSL="yes please": expected true or false');
  });

  it('a CA file that does not exist names the variable and the path', () => {
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' })).toContain('KAFKA_SSL_CA_FILE="/nonexistent/ca.pem": expected the path of a readable file');
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable key file is refused', () => {
    const key = file('unreadable.key', 'x');
    chmodSync(key, 0o000);
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certs.clientCertFile, KAFKA_SSL_KEY_FILE: key })).toContain(`KAFKA_SSL_KEY_FILE="${key}": expected the path of a readable file`);
  });

  it('a directory is not a file', () => {
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: dir })).toContain('KAFKA_SSL_CA_FILE');
  });

  it('a client certificate without its key is refused, and a key without its certificate', () => {
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certs.clientCertFile })).toContain(
      'KAFKA_SSL_CERT_FILE="' + certs.clientCertFile + '": a client certificate needs its private key; expected KAFKA_SSL_KEY_FILE too',
    );
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: certs.clientKeyFile })).toContain('expected KAFKA_SSL_CERT_FILE too');
  });

  it('a key that does not belong to the certificate is refused at start-up', () => {
    const brokerKey = path.join(dir, 'broker.key');
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certs.clientCertFile, KAFKA_SSL_KEY_FILE: brokerKey })).toMatch(
      /KAFKA_SSL_CERT_FILE=.*expected a PEM certificate and the PEM private key that belongs to it/,
    );
  });

  it('a CA file that holds no certificate is refused at start-up', () => {
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file('not-a-ca.pem', 'hello\n') })).toMatch(/KAFKA_SSL_CA_FILE=.*expected PEM CA certificate\(s\)/);
  });

  it('TLS files without KAFKA_SSL=true are refused rather than ignored', () => {
    expect(failure({ KAFKA_SSL_CA_FILE: certs.caFile })).toContain('KAFKA_SSL_CA_FILE: is set but KAFKA_SSL is not; expected KAFKA_SSL=true');
  });

  it('an unknown mechanism names the ones supported', () => {
    expect(failure({ KAFKA_SASL_MECHANISM: 'gssapi' })).toContain('KAFKA_SASL_MECHANISM="gssapi": expected one of plain, scram-sha-256, scram-sha-512, oauthbearer');
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])('%s needs a user name and a password', (mechanism) => {
    expect(failure({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_PASSWORD: 'pw-123' })).toContain(`KAFKA_SASL_USERNAME: expected a user name with KAFKA_SASL_MECHANISM=${mechanism}`);
    expect(failure({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'alice' })).toContain(`KAFKA_SASL_PASSWORD: expected a password`);
    expect(security({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'pw-123' }).sasl).toEqual({ mechanism, username: 'alice', password: 'pw-123' });
  });

  it('the password may come from a file, without its final newline', () => {
    const pw = file('password', 'from-a-file\n');
    expect(security({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD_FILE: pw }).sasl).toEqual({ mechanism: 'plain', username: 'alice', password: 'from-a-file' });
  });

  it('both a password and a password file is ambiguous, and the password is never shown', () => {
    const message = failure({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'do-not-show-me', KAFKA_SASL_PASSWORD_FILE: file('pw2', 'x') });
    expect(message).toContain('KAFKA_SASL_PASSWORD=(hidden): KAFKA_SASL_PASSWORD_FILE is set too; expected one of them');
    expect(message).not.toContain('do-not-show-me');
  });

  it('secrets stay hidden when another Kafka setting is wrong in the same start', () => {
    const message = failure({ KAFKA_SASL_PASSWORD: 'do-not-show-me', KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'echo tok-secret', KAFKA_PARTITIONS: 'many' });
    expect(message).toContain('KAFKA_PARTITIONS="many"');
    expect(message).not.toContain('do-not-show-me');
    expect(message).not.toContain('tok-secret');
  });

  it('credentials without a mechanism are refused rather than ignored', () => {
    expect(failure({ KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'pw' })).toContain('KAFKA_SASL_USERNAME: is set but KAFKA_SASL_MECHANISM is not');
  });

  it('oauthbearer needs exactly one token source, and no user name', () => {
    expect(failure({ KAFKA_SASL_MECHANISM: 'oauthbearer' })).toContain('expected exactly one of KAFKA_SASL_OAUTHBEARER_TOKEN_FILE or KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND');
    expect(failure({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: file('t0', 'a'), KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'echo b' })).toContain('expected exactly one of');
    expect(failure({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'echo b' })).toContain(
      'KAFKA_SASL_USERNAME: is not used with KAFKA_SASL_MECHANISM=oauthbearer',
    );
    expect(failure({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b', KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'echo b' })).toContain(
      'KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: is only used with KAFKA_SASL_MECHANISM=oauthbearer',
    );
  });

  it('an oauthbearer token file is read again on every call, so a renewed token is used', async () => {
    const tokenFile = file('token', 'first-token\n');
    const sasl = security({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenFile }).sasl;
    if (sasl?.mechanism !== 'oauthbearer') throw new Error('expected oauthbearer');
    expect(await sasl.token()).toBe('first-token');
    writeFileSync(tokenFile, 'second-token\n');
    expect(await sasl.token()).toBe('second-token');
  });

  it('an oauthbearer token command is run again on every call; a failing one says how it ended, not what it was', async () => {
    const counter = file('count', '');
    const sasl = security({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: `echo x >> ${counter}; echo "tok-$(wc -l < ${counter})"` }).sasl;
    if (sasl?.mechanism !== 'oauthbearer') throw new Error('expected oauthbearer');
    expect(await sasl.token()).toBe('tok-1');
    expect(await sasl.token()).toBe('tok-2');
    const failing = security({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'echo secret-arg >/dev/null; echo no-token-service >&2; exit 3' }).sasl;
    if (failing?.mechanism !== 'oauthbearer') throw new Error('expected oauthbearer');
    const err = await failing.token().catch((e: Error) => e);
    expect((err as Error).message).toBe('KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND exited with 3: no-token-service');
  });
});
