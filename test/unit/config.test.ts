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
    expect(c).toMatchObject({ port: 3000, host: '0.0.0.0', unsignedMode: true, batchMaxRows: 20_000, batchMaxWaitMs: 500, maxBodyBytes: 262_144 });
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

  it('agent names that could not be a URL segment are refused', () => {
    expect(() => loadConfig({ WEBHOOK_AGENTS: '{"bad name/x":"s"}' })).toThrow(/agent names are letters/);
  });
});
