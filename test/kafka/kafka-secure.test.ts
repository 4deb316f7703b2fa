// Kafka with TLS and SASL, on one real broker of this file's own (test/helpers/kafka-secure-broker.ts):
// a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER) and an SSL listener that
// requires client certificates, with certificates made by openssl. Oracles independent of our code:
// the broker (it authenticates and checks every batch) and a kafkajs client configured here by hand.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import type { Envelope } from '../../queue/envelope.js';
import { EmbeddedLog } from '../../queue/embedded-log.js';
import { createKafka } from '../../queue/kafka-client.js';
import { fromKafkaMessage } from '../../queue/kafka-message.js';
import { KafkaPublisher } from '../../queue/kafka-publisher.js';
import type { TestCerts } from '../../tools/kafka/test-certs.js';
import { idCounts, runCli, topicContents, type OwnBroker } from '../helpers/kafka-faults.js';
import { openPublisher } from '../helpers/kafka-publisher.js';
import { secureKafkaSetup, unsecuredJwt } from '../helpers/kafka-secure-broker.js';
import { freshTopicConfig, readTopic } from '../helpers/kafka-topic.js';
import { waitFor } from '../helpers/pipeline-process.js';
import { samplePayload } from '../helpers/sign.js';
import { tempDir } from '../helpers/temp-dir.js';

const logger = pino({ level: 'silent' });
let dir: string;
let certs: TestCerts;
let broker: OwnBroker;
const { cleanups, address, ways, oracle, pipelineEnv, spawn, post } = secureKafkaSetup((ready) => ({ dir, certs, broker } = ready));

describe('Kafka with TLS and SASL', () => {
  it.each(['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer', 'mtls'] as const)('%s: every envelope is published directly and read back byte for byte', async (way) => {
    const w = ways()[way];
    const config = { ...freshTopicConfig([address(w.listener)], 3, `secure-${way}`), security: loadConfig({ KAFKA_BROKERS: address(w.listener), ...w.env }).kafka!.security };
    const { p, fallback } = await openPublisher(dir, config, logger, cleanups);
    const envelopes: Envelope[] = Array.from({ length: 30 }, (_, i) => {
      const payload = samplePayload({ conversation_id: `c-${i % 4}` });
      const env: Envelope = {
        body: Buffer.from(`${JSON.stringify(payload)}${' '.repeat(i)}`),
        key: String(payload.conversation_id),
        agent: i % 2 ? 'sales' : 'default',
        receivedAtMs: Date.now() - i,
        signature: 'valid',
      };
      if (i === 7) env.reject = { code: 'invalid_payload', reason: 'message_id: expected a string, ünïcode' };
      return env;
    });
    await Promise.all(envelopes.map((e) => p.publish(e)));
    // Nothing went through the local log: the fast path itself spoke TLS (and SASL) to the broker.
    expect(fallback.end).toBe(0);
    const read = await readTopic([address('saslSsl')], config.topic, envelopes.length, oracle());
    const byBody = new Map(read.map(({ message }) => [message.value!.toString('latin1'), fromKafkaMessage(message)]));
    for (const e of envelopes) expect(byBody.get(e.body.toString('latin1'))).toEqual(e);
    expect(read).toHaveLength(envelopes.length);
  });

  it.each([
    ['a wrong password', 'ingest', { KAFKA_SASL_PASSWORD: 'not-her-password' }, 'plain', 'KAFKA_SASL_MECHANISM=plain: Kafka (127.0.0.1:'],
    ['a wrong SCRAM password', 'consume', { KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'not-her-password' }, 'scram-sha-512', 'refused user "carol"'],
    ["a CA that did not sign the broker's certificate", 'ingest', { KAFKA_SSL_CA_FILE: 'OTHER_CA' }, 'plain', 'is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)'],
    [
      'a server name the certificate does not carry',
      'ingest',
      { KAFKA_SSL_SERVERNAME: 'kafka.example.com' },
      'plain',
      'is not trusted (ERR_TLS_CERT_ALTNAME_INVALID); expected a host in KAFKA_BROKERS (or KAFKA_SSL_SERVERNAME) that the certificate names',
    ],
    ['no client certificate on the mutual TLS listener', 'ingest', { KAFKA_SSL_CERT_FILE: '', KAFKA_SSL_KEY_FILE: '' }, 'mtls', 'KAFKA_SSL_CERT_FILE=(unset): Kafka (127.0.0.1:'],
    ['TLS to the plaintext listener', 'ingest', { KAFKA_BROKERS: 'PLAINTEXT' }, 'plain', "is a plaintext Kafka listener; expected the brokers' TLS listener"],
    [
      'no TLS to the TLS listener',
      'consume',
      { KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: '', KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' },
      'plain',
      'is a TLS listener; expected KAFKA_SSL=true',
    ],
    ['SASL on the listener without SASL', 'ingest', { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'alice-secret' }, 'mtls', 'does not take this SASL mechanism'],
    ['an unknown mechanism', 'ingest', { KAFKA_SASL_MECHANISM: 'gssapi' }, 'plain', 'KAFKA_SASL_MECHANISM="gssapi": expected one of plain, scram-sha-256, scram-sha-512, oauthbearer'],
    [
      'an OAUTHBEARER token command that fails',
      'consume',
      { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: '', KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'echo the identity provider said no >&2; exit 3' },
      'oauthbearer',
      'KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND exited with 3: the identity provider said no; expected a command that prints the current token and exits 0',
    ],
    ['an empty OAUTHBEARER token file', 'ingest', { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: 'EMPTY' }, 'oauthbearer', 'empty-token is empty; expected a readable file holding the current token'],
    ['an OAUTHBEARER token that expires within seconds', 'ingest', { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: 'LIFETIME:5' }, 'oauthbearer', 'ended the session: the token expires in'],
    ['an expired OAUTHBEARER token', 'consume', { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: 'LIFETIME:-120' }, 'oauthbearer', 'ended the session: the token expired 12'],
  ] as const)('%s: `%s` stops at start-up with exit code 2 and says what to fix', async (_what, command, extra, way, message) => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const overrides: Record<string, string> = { ...extra };
    if (overrides.KAFKA_SSL_CA_FILE === 'OTHER_CA') overrides.KAFKA_SSL_CA_FILE = certs.otherCaFile;
    if (overrides.KAFKA_BROKERS === 'PLAINTEXT') overrides.KAFKA_BROKERS = address('plaintext');
    if (overrides.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE === 'EMPTY') {
      overrides.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE = path.join(d.path, 'empty-token');
      await writeFile(overrides.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE, '\n');
    }
    const lifetime = /^LIFETIME:(-?\d+)$/.exec(overrides.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE ?? '');
    if (lifetime) {
      overrides.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE = path.join(d.path, 'short-token');
      await writeFile(overrides.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE, unsecuredJwt('dave', Number(lifetime[1])));
    }
    const result = await runCli([command], { ...pipelineEnv(way, overrides), PORT: '0', DATA_DIR: d.path });
    expect(result.stderr).toContain(message);
    expect(result.code).toBe(2);
    // Not an "unreachable" retry loop: the answer comes within seconds.
    expect(result.ms).toBeLessThan(15_000);
    for (const secret of ['not-her-password', 'alice-secret']) expect(result.stderr).not.toContain(secret);
  });

  it('a forwarder whose credentials are refused says so (config_invalid), not that Kafka is unreachable, and keeps the events', async () => {
    const lines: string[] = [];
    const captured = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const w = ways().plain;
    const config = {
      ...freshTopicConfig([address(w.listener)], 3, 'secure-forwarder'),
      security: loadConfig({ KAFKA_BROKERS: address(w.listener), ...w.env, KAFKA_SASL_PASSWORD: 'rotated-away' }).kafka!.security,
    };
    // A backlog from an earlier run: the publisher starts by forwarding it with kafkajs's producer.
    const fallback = await EmbeddedLog.open({ dir: path.join(dir, `fallback-${randomUUID()}`) });
    await fallback.append({ body: Buffer.from('{"n":1}'), key: 'k', agent: 'default', receivedAtMs: Date.now(), signature: 'valid' });
    const p = new KafkaPublisher(createKafka(config, captured), config, fallback, captured);
    cleanups.push(async () => {
      await p.close();
      await fallback.close();
    });
    await p.start();
    await waitFor(async () => lines.some((l) => l.includes('Kafka refuses the settings')), 'the forwarder to report the refused credentials');
    const line = lines.find((l) => l.includes('Kafka refuses the settings'))!;
    expect(line).toContain('KAFKA_SASL_MECHANISM=plain: Kafka (127.0.0.1:');
    expect(line).toContain('refused user \\"alice\\"');
    expect(line).not.toContain('rotated-away');
    expect(fallback.backlog).toBe(1);
  });

  it('a consumer on mutual TLS, SIGKILLed mid-stream and restarted, stores everything exactly once', async () => {
    const env = pipelineEnv('mtls', { BATCH_MAX_ROWS: '50' });
    // Ingest writes over SCRAM-SHA-256 into the same topic the consumer reads over mutual TLS.
    const ingest = await spawn('ingest', { ...pipelineEnv('scram-sha-256'), KAFKA_TOPIC: env.KAFKA_TOPIC });
    const bodies = Array.from({ length: 600 }, () => JSON.stringify(samplePayload()));
    for (let i = 0; i < bodies.length; i += 50) {
      const statuses = await Promise.all(bodies.slice(i, i + 50).map((b) => post(ingest.url, b)));
      expect(statuses.every((s) => s === 200)).toBe(true);
    }
    const d = await tempDir();
    cleanups.push(d.remove);
    const first = await spawn('consume', env, d.path);
    await waitFor(async () => (await idCounts(first)).size >= 100, 'the first consumer to store some batches');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await spawn('consume', env, d.path);
    let counts = new Map<string, number>();
    await waitFor(async () => (counts = await idCounts(second)).size >= bodies.length, 'all stored after the restart', 60_000);
    expect(bodies.filter((b) => counts.get(JSON.parse(b).message_id) !== 1)).toEqual([]);
    expect(counts.size).toBe(bodies.length);
  });

  it('an OAUTHBEARER token that expires is replaced by the renewed one: ingest publishes directly and consume stores, throughout', async () => {
    // The broker ends a session when its token expires, so after that only a client that read the renewed token is served.
    const lifetimeS = 15;
    const tokenFile = path.join(dir, `token-${randomUUID()}`);
    await writeFile(tokenFile, unsecuredJwt('erin', lifetimeS));
    const expiresAt = Date.now() + lifetimeS * 1000;
    const env = pipelineEnv('oauthbearer', { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenFile });
    const ingest = await spawn('ingest', env);
    const consume = await spawn('consume', env);
    const sendAll = async (bodies: string[]) => expect(await Promise.all(bodies.map((b) => post(ingest.url, b)))).toEqual(bodies.map(() => 200));
    const bodies = Array.from({ length: 40 }, () => JSON.stringify(samplePayload()));
    await sendAll(bodies.slice(0, 20));
    await waitFor(async () => (await idCounts(consume)).size >= 20, 'the first replies to be stored');
    // A token refresher renews the file before the first token expires.
    await writeFile(tokenFile, unsecuredJwt('erin'));
    await waitFor(async () => Date.now() > expiresAt + 2_000, 'the first token to have expired', lifetimeS * 1000 + 10_000);
    await sendAll(bodies.slice(20));
    let counts = new Map<string, number>();
    await waitFor(async () => (counts = await idCounts(consume)).size >= bodies.length, 'every reply to be stored', 60_000);
    expect(bodies.filter((b) => counts.get(JSON.parse(b).message_id) !== 1)).toEqual([]);
    const ready = (await (await fetch(`${ingest.url}/readyz`)).json()) as { kafka: string; fallbackBacklog: number };
    expect(ready).toMatchObject({ kafka: 'connected', fallbackBacklog: 0 });
  });

  // Last: it stops and restarts this file's broker.
  it('with the broker stopped mid-stream, every acknowledged event reaches Kafka over SASL_SSL once it is back, in order', async () => {
    const env = pipelineEnv('scram-sha-512', { KAFKA_PUBLISH_TIMEOUT_MS: '500' });
    const ingest = await spawn('ingest', env);
    const acked = new Map<string, string[]>();
    let phase: 'before' | 'down' | 'after' = 'before';
    const sent = { before: 0, down: 0, after: 0 };
    const conversation = async (c: string) => {
      acked.set(c, []);
      while (phase !== 'after' || sent.after < 50) {
        const body = JSON.stringify(samplePayload({ conversation_id: c }));
        if ((await post(ingest.url, body)) === 200) {
          acked.get(c)!.push(JSON.parse(body).message_id);
          sent[phase] += 1;
        }
      }
    };
    const senders = Array.from({ length: 5 }, (_, i) => conversation(`conv-${i}`));
    await waitFor(async () => sent.before >= 50, 'traffic while Kafka is up');
    await broker.stop();
    phase = 'down';
    await waitFor(async () => sent.down >= 50, 'events acknowledged while Kafka is down', 60_000);
    expect(((await (await fetch(`${ingest.url}/readyz`)).json()) as { kafka: string }).kafka).toBe('fallback');
    await broker.restart();
    phase = 'after';
    await Promise.all(senders);
    await waitFor(async () => ((await (await fetch(`${ingest.url}/readyz`)).json()) as { fallbackBacklog: number }).fallbackBacklog === 0, 'the fallback log to drain', 60_000);
    const messages = await topicContents(address('saslSsl'), env.KAFKA_TOPIC, oracle());
    const total = [...acked.values()].reduce((n, ids) => n + ids.length, 0);
    expect(new Set(messages.map((m) => m.id)).size).toBeGreaterThanOrEqual(total);
    for (const [c, ids] of acked) {
      const seen: string[] = [];
      for (const m of messages) if (m.key === c && !seen.includes(m.id)) seen.push(m.id);
      expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    }
    // Back on the fast path after the drain (it reconnects over TLS and SASL by itself).
    expect(((await (await fetch(`${ingest.url}/readyz`)).json()) as { kafka: string }).kafka).toBe('connected');
  }, 180_000);
});
