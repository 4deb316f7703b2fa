import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertReceiverSecured, envSchema, loadConfig } from '../../core/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('configuration', () => {
  it('.env.example lists exactly the variables the schema reads', () => {
    const text = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const listed = [...text.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(envSchema.shape).sort());
  });

  it('defaults apply when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: '0.0.0.0', trustProxy: false, unsignedMode: true, batchMaxRows: 20_000, batchMaxWaitMs: 500, maxBodyBytes: 262_144 });
  });

  it.each([' ', '0x10ab', '1e3', '-1', '3000.0'])('PORT=%j is not an integer (Number() would read it as one)', (value) => {
    expect(() => loadConfig({ PORT: value })).toThrow(`PORT=${JSON.stringify(value)}: expected an integer`);
  });

  it('a bad value names the variable, the value and what was expected', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT="eighty": expected an integer/);
    expect(() => loadConfig({ BATCH_MAX_ROWS: '0' })).toThrow(/BATCH_MAX_ROWS="0": expected at least 1/);
  });

  it('secrets never appear in configuration errors', () => {
    let message = '';
    try {
      loadConfig({ WEBHOOK_AGENTS: '{"sales": 12345678}', QUERY_TOKEN: 'short' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/WEBHOOK_AGENTS=\(hidden\)/);
    expect(message).toMatch(/QUERY_TOKEN=\(hidden\)/);
    expect(message).not.toContain('12345678');
    expect(message).not.toContain('short');
  });

  it('a secret is one value, spaces included; the previous one is accepted beside it while rotating', () => {
    const c = loadConfig({ WEBHOOK_SECRET: 'my secret phrase', WEBHOOK_SECRET_PREVIOUS: 'old one', WEBHOOK_AGENTS: '{"sales":["a","b"],"support":"c"}' });
    expect(c.agentSecrets.get('default')).toEqual(['my secret phrase', 'old one']);
    expect(c.agentSecrets.get('sales')).toEqual(['a', 'b']);
    expect(c.agentSecrets.get('support')).toEqual(['c']);
    expect(c.unsignedMode).toBe(false);
  });

  it.each([
    [{ WEBHOOK_SECRET: ' ' }, 'WEBHOOK_SECRET=(hidden): expected a secret'],
    [{ WEBHOOK_SECRET: '\t\n' }, 'WEBHOOK_SECRET=(hidden): expected a secret'],
    [{ WEBHOOK_SECRET: 's', WEBHOOK_SECRET_PREVIOUS: '  ' }, 'WEBHOOK_SECRET_PREVIOUS=(hidden): expected a secret'],
    [{ WEBHOOK_AGENTS: '{"sales":" "}' }, 'agent "sales": expected a secret (non-blank text)'],
    [{ WEBHOOK_AGENTS: '{"sales":["a"," "]}' }, 'agent "sales": expected a secret (non-blank text)'],
    [{ WEBHOOK_AGENTS: '{"sales":[]}' }, 'agent "sales": expected a secret (non-blank text) or a non-empty list'],
    [{ WEBHOOK_SECRET_PREVIOUS: 'old' }, 'WEBHOOK_SECRET_PREVIOUS=(hidden): expected WEBHOOK_SECRET to be set too'],
    [{ WEBHOOK_SECRET: 's', ALLOW_UNSIGNED: 'true' }, 'ALLOW_UNSIGNED=true: expected no WEBHOOK_SECRET or WEBHOOK_AGENTS with it'],
  ])('a blank or contradictory secret setting is a configuration error: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([{}, { WEBHOOK_AGENTS: '{}' }, { ALLOW_UNSIGNED: 'false' }])('a receiver without any secret refuses to start: %j', (env) => {
    const config = loadConfig(env);
    expect(config.unsignedMode).toBe(true);
    expect(() => assertReceiverSecured(config)).toThrow(/WEBHOOK_SECRET, WEBHOOK_AGENTS: expected a secret .* set ALLOW_UNSIGNED=true/);
  });

  it('ALLOW_UNSIGNED=true in words lets a receiver without a secret start; a secret always does', () => {
    expect(() => assertReceiverSecured(loadConfig({ ALLOW_UNSIGNED: 'true' }))).not.toThrow();
    expect(() => assertReceiverSecured(loadConfig({ WEBHOOK_SECRET: 's' }))).not.toThrow();
    expect(() => assertReceiverSecured(loadConfig({ WEBHOOK_AGENTS: '{"sales":"s"}' }))).not.toThrow();
  });

  it('the read API listens on loopback on a port of its own, with bounded queries, by default', () => {
    const c = loadConfig({});
    expect(c.query).toEqual({ host: '127.0.0.1', port: 3001, timeoutSeconds: 30, maxMemoryBytes: 1024 * 1024 * 1024, maxResultBytes: 256 * 1024 * 1024, maxConcurrent: 2 });
    expect(c.receiver).toEqual({ requestTimeoutMs: 5000, maxConnections: 2048, maxConnectionsPerAddress: 128 });
  });

  it.each([
    [{ REQUEST_TIMEOUT_MS: '10000' }, 'REQUEST_TIMEOUT_MS="10000": expected at most 9000'],
    [{ QUERY_MAX_CONCURRENT: '0' }, 'QUERY_MAX_CONCURRENT="0": expected at least 1'],
    [{ QUERY_TIMEOUT_SECONDS: '0' }, 'QUERY_TIMEOUT_SECONDS="0": expected at least 1'],
  ])('limits outside their range are refused: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    [{ KAFKA_BROKERS: '127.0.0.1:99999' }, 'KAFKA_BROKERS="127.0.0.1:99999": expected host:port with a port from 1 to 65535'],
    [{ KAFKA_BROKERS: 'a:9092,b:0' }, 'KAFKA_BROKERS="a:9092,b:0": expected host:port with a port from 1 to 65535'],
    [{ KAFKA_TOPIC: '..' }, 'KAFKA_TOPIC="..": expected a Kafka topic name ("." and ".." are not allowed)'],
    [{ KAFKA_BROKERS: 'k:9092', MAX_BODY_BYTES: '1500000' }, 'MAX_BODY_BYTES=1500000: expected at most 1000000 with KAFKA_BROKERS set'],
  ])('Kafka settings the broker could never take are refused at start: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    ['false', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8, 192.168.1.7,::1', ['10.0.0.0/8', '192.168.1.7', '::1']],
  ])('TRUST_PROXY=%j is %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it.each(['my-balancer', '10.0.0.0/33', '0.0.0.0/0', '::1/129', '10.0.0.1/8/8'])('TRUST_PROXY=%j is refused: not a flag, a hop count or addresses', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(`TRUST_PROXY=${JSON.stringify(value)}: expected true, false, a number of proxy hops`);
  });

  it('large bodies are allowed without Kafka, and up to about 1 MB with it', () => {
    expect(loadConfig({ MAX_BODY_BYTES: '1500000' }).maxBodyBytes).toBe(1_500_000);
    expect(loadConfig({ KAFKA_BROKERS: 'k:9092', MAX_BODY_BYTES: '1000000' }).maxBodyBytes).toBe(1_000_000);
  });

  it.each([
    ['{"sales":5}', 'WEBHOOK_AGENTS=(hidden): agent "sales": expected a secret (non-blank text) or a non-empty list of secrets'],
    ['{"sales":""}', 'WEBHOOK_AGENTS=(hidden): agent "sales": expected a secret (non-blank text) or a non-empty list of secrets'],
    ['{"sales":[]}', 'WEBHOOK_AGENTS=(hidden): agent "sales": expected a secret (non-blank text) or a non-empty list of secrets'],
    ['[]', 'WEBHOOK_AGENTS=(hidden): expected a JSON object such as {"sales":["secret1","secret2"],"support":"secret3"}'],
  ])('WEBHOOK_AGENTS=%s says which agent is wrong and what was expected', (value, message) => {
    expect(() => loadConfig({ WEBHOOK_AGENTS: value })).toThrow(message);
  });

  it('agent names that could not be a URL segment are refused', () => {
    expect(() => loadConfig({ WEBHOOK_AGENTS: '{"bad name/x":"s"}' })).toThrow(/agent names are letters/);
  });
});
