import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema, loadConfig } from '../../core/config.js';

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

  it('several space-separated secrets rotate on the default route, and agents have their own', () => {
    const c = loadConfig({ WEBHOOK_SECRET: 'new old', WEBHOOK_AGENTS: '{"sales":["a","b"],"support":"c"}' });
    expect(c.agentSecrets.get('default')).toEqual(['new', 'old']);
    expect(c.agentSecrets.get('sales')).toEqual(['a', 'b']);
    expect(c.agentSecrets.get('support')).toEqual(['c']);
    expect(c.unsignedMode).toBe(false);
  });

  it('REQUIRE_SIGNATURE without any secret refuses to start', () => {
    expect(() => loadConfig({ REQUIRE_SIGNATURE: 'true' })).toThrow(/REQUIRE_SIGNATURE=true: expected WEBHOOK_SECRET or WEBHOOK_AGENTS/);
    expect(loadConfig({ REQUIRE_SIGNATURE: 'true', WEBHOOK_SECRET: 's' }).unsignedMode).toBe(false);
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
    ['{"sales":5}', 'WEBHOOK_AGENTS=(hidden): agent "sales": expected a secret (non-empty text) or a non-empty list of secrets'],
    ['{"sales":""}', 'WEBHOOK_AGENTS=(hidden): agent "sales": expected a secret (non-empty text) or a non-empty list of secrets'],
    ['{"sales":[]}', 'WEBHOOK_AGENTS=(hidden): agent "sales": expected a secret (non-empty text) or a non-empty list of secrets'],
    ['[]', 'WEBHOOK_AGENTS=(hidden): expected a JSON object such as {"sales":["secret1","secret2"],"support":"secret3"}'],
  ])('WEBHOOK_AGENTS=%s says which agent is wrong and what was expected', (value, message) => {
    expect(() => loadConfig({ WEBHOOK_AGENTS: value })).toThrow(message);
  });

  it('agent names that could not be a URL segment are refused', () => {
    expect(() => loadConfig({ WEBHOOK_AGENTS: '{"bad name/x":"s"}' })).toThrow(/agent names are letters/);
  });
});
