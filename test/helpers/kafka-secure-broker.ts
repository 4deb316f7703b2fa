// One secured Kafka broker for a test file: a SASL_SSL listener (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512, OAUTHBEARER) and an SSL listener that requires client certificates, with
// certificates made by openssl; our variables for each way in, and pipelines started on it.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KafkaConfig as KafkajsConfig } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { makeTestCerts, type TestCerts } from '../../tools/kafka/test-certs.js';
import { ownBroker, post as postSigned, type OwnBroker } from './kafka-faults.js';
import { startPipeline, type PipelineProcess } from './pipeline-process.js';
import { tempDir } from './temp-dir.js';

/** An unsigned JWT, which Kafka's default OAUTHBEARER validator takes (enough to test the token's path), valid for `lifetimeS`. */
export function unsecuredJwt(subject: string, lifetimeS = 3600): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub: subject, iat: now, exp: now + lifetimeS })}.`;
}

/**
 * Starts the broker in beforeAll (handing its directory, certificates and broker to `onReady`) and
 * stops it, the pipelines and whatever `cleanups` holds in afterAll.
 */
export function secureKafkaSetup(onReady: (ready: { dir: string; certs: TestCerts; broker: OwnBroker }) => void) {
  const SECRET = 'secure-secret';
  const running: PipelineProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let dir: string;
  let certs: TestCerts;
  let broker: OwnBroker;
  const address = (listener: 'saslSsl' | 'ssl' | 'plaintext') => (listener === 'plaintext' ? broker.bootstrap : `127.0.0.1:${broker.current.securePorts![listener]}`);

  /** Our variables for each way in, and the listener each one uses. */
  const ways = () => ({
    plain: {
      listener: 'saslSsl' as const,
      env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.caFile, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'alice-secret' },
    },
    'scram-sha-256': {
      listener: 'saslSsl' as const,
      env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.caFile, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'bob', KAFKA_SASL_PASSWORD: 'bob-secret' },
    },
    'scram-sha-512': {
      listener: 'saslSsl' as const,
      env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.caFile, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'carol', KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'carol-password') },
    },
    oauthbearer: {
      listener: 'saslSsl' as const,
      env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.caFile, KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: path.join(dir, 'token') },
    },
    // Connects to 127.0.0.1 and checks the certificate for the name "localhost" (it carries both).
    mtls: {
      listener: 'ssl' as const,
      env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.caFile, KAFKA_SSL_CERT_FILE: certs.clientCertFile, KAFKA_SSL_KEY_FILE: certs.clientKeyFile, KAFKA_SSL_SERVERNAME: 'localhost' },
    },
  });

  /** The reading oracle: kafkajs configured by hand, as PLAIN user alice over SASL_SSL. */
  const oracle = (): Partial<KafkajsConfig> => ({ ssl: { ca: [readFileSync(certs.caFile)] }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });

  function pipelineEnv(way: keyof ReturnType<typeof ways>, extra: Record<string, string> = {}) {
    const id = randomUUID();
    const w = ways()[way];
    return { WEBHOOK_SECRET: SECRET, KAFKA_BROKERS: address(w.listener), KAFKA_TOPIC: `t-${id}`, KAFKA_GROUP_ID: `g-${id}`, KAFKA_PARTITIONS: '3', BATCH_MAX_WAIT_MS: '100', ...w.env, ...extra };
  }

  async function spawn(command: string, env: Record<string, string>, dataDir?: string): Promise<PipelineProcess> {
    if (!dataDir) {
      const d = await tempDir();
      cleanups.push(d.remove);
      dataDir = d.path;
    }
    const p = await startPipeline(dataDir, env, command);
    running.push(p);
    return p;
  }

  const post = (url: string, body: string) => postSigned(url, body, SECRET);

  beforeAll(async () => {
    const d = await tempDir('aksita-kafka-secure-');
    cleanups.push(d.remove);
    dir = d.path;
    mkdirSync(path.join(dir, 'certs'));
    certs = makeTestCerts(path.join(dir, 'certs'));
    writeFileSync(path.join(dir, 'carol-password'), 'carol-secret\n');
    writeFileSync(path.join(dir, 'token'), unsecuredJwt('dave'));
    broker = await ownBroker('aksita-kafka-secure-broker-', cleanups, {
      secure: {
        certs,
        plainUsers: { alice: 'alice-secret' },
        scramUsers: [
          { mechanism: 'SCRAM-SHA-256', name: 'bob', password: 'bob-secret' },
          { mechanism: 'SCRAM-SHA-512', name: 'carol', password: 'carol-secret' },
        ],
      },
    });
    onReady({ dir, certs, broker });
  });
  afterAll(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  return { cleanups, address, ways, oracle, pipelineEnv, spawn, post };
}
