// docker-compose.yml, parsed by Docker Compose itself (compose-config.ts): who can reach what.
// Ingest cannot start without a secret, only the receiver's port is published beyond 127.0.0.1,
// secrets come from .env, and Grafana queries as the read-only ClickHouse account.
import path from 'node:path';
import { expect, it } from 'vitest';
import { assertReceiverSecured, loadConfig } from '../../core/config.js';
import { CLICKHOUSE_CONFIG_FILE, CLICKHOUSE_USERS_FILE, composeConfig, MINIMAL_ENV, mounts, publishedPorts, read, ROOT, runComposeConfig } from './compose-config.js';
import { describeComposeFile } from './compose-suite.js';
import { readXml } from './xml-tree.js';

describeComposeFile(({ need, svc }) => {
  it('ingest needs a secret: compose refuses without WEBHOOK_SECRET in .env, ingest refuses it empty without WEBHOOK_AGENTS or ALLOW_UNSIGNED=true', () => {
    need();
    const refused = runComposeConfig({});
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('set WEBHOOK_SECRET in .env');
    const ingestEnv = (env: Record<string, string>) => composeConfig(env).config.services.ingest!.environment!;
    const started = (env: Record<string, string>) => () => assertReceiverSecured(loadConfig(ingestEnv(env)));
    // .env.example's line, WEBHOOK_SECRET=, passes compose; then the receiver's own rule applies.
    expect(started({ WEBHOOK_SECRET: '' })).toThrow(/WEBHOOK_SECRET, WEBHOOK_AGENTS: expected a secret/);
    expect(started({ WEBHOOK_SECRET: '', ALLOW_UNSIGNED: 'false' })).toThrow(/expected a secret/);
    expect(started(MINIMAL_ENV)).not.toThrow();
    expect(started({ WEBHOOK_SECRET: '', WEBHOOK_AGENTS: '{"sales":"s1"}' })).not.toThrow();
    expect(started({ WEBHOOK_SECRET: '', ALLOW_UNSIGNED: 'true' })).not.toThrow();
    expect(loadConfig(ingestEnv(MINIMAL_ENV)).unsignedMode).toBe(false);
  });

  it('only ingest publishes a port on all interfaces; everything else on 127.0.0.1', () => {
    for (const [name, s] of Object.entries(need().config.services)) {
      for (const p of publishedPorts(s)) {
        if (name === 'ingest') expect(p, name).toEqual({ hostIp: '', published: 3000, target: Number(s.environment!.PORT) });
        else expect(p.hostIp, `${name} ${p.published}`).toBe('127.0.0.1');
      }
    }
  });

  it("consume's read API listens on QUERY_PORT on the container's interfaces, published on 127.0.0.1:3001; its PORT (health) is not published", () => {
    const consume = loadConfig(svc('consume').environment);
    expect(consume.query.host).toBe('0.0.0.0');
    expect(consume.query.port).not.toBe(consume.port);
    expect(publishedPorts(svc('consume'))).toEqual([{ hostIp: '127.0.0.1', published: 3001, target: consume.query.port }]);
    // Limits of the read API come from .env like the receiver's.
    const limits = ['QUERY_TOKEN', 'QUERY_TIMEOUT_SECONDS', 'QUERY_MAX_MEMORY_MB', 'QUERY_MAX_RESULT_MB', 'QUERY_MAX_CONCURRENT'];
    expect(Object.keys(svc('consume').environment ?? {})).toEqual(expect.arrayContaining(limits));
    const { config: withEnv } = composeConfig({ ...MINIMAL_ENV, QUERY_TIMEOUT_SECONDS: '7', QUERY_MAX_MEMORY_MB: '64', QUERY_MAX_RESULT_MB: '8', QUERY_MAX_CONCURRENT: '3' });
    expect(loadConfig(withEnv.services.consume!.environment).query).toMatchObject({ timeoutSeconds: 7, maxMemoryBytes: 64 * 1024 ** 2, maxResultBytes: 8 * 1024 ** 2, maxConcurrent: 3 });
  });

  it('secrets come from the env file (.env), not from the compose file', () => {
    need();
    const secrets = {
      CLICKHOUSE_PASSWORD: 'from-env-file-1',
      WEBHOOK_SECRET: 'from-env-file-2',
      QUERY_TOKEN: 'from-env-file-3-0123456789',
      GRAFANA_ADMIN_PASSWORD: 'from-env-file-4',
      CLICKHOUSE_GRAFANA_PASSWORD: 'from-env-file-5',
    };
    const { config: withEnv } = composeConfig(secrets);
    const env = (name: string) => withEnv.services[name]!.environment!;
    expect(env('clickhouse').CLICKHOUSE_PASSWORD).toBe(secrets.CLICKHOUSE_PASSWORD);
    expect(env('consume').CLICKHOUSE_PASSWORD).toBe(secrets.CLICKHOUSE_PASSWORD);
    expect(env('clickhouse').CLICKHOUSE_GRAFANA_PASSWORD).toBe(secrets.CLICKHOUSE_GRAFANA_PASSWORD);
    expect(env('grafana').CLICKHOUSE_PASSWORD).toBe(secrets.CLICKHOUSE_GRAFANA_PASSWORD);
    expect(env('ingest').WEBHOOK_SECRET).toBe(secrets.WEBHOOK_SECRET);
    expect(env('consume').QUERY_TOKEN).toBe(secrets.QUERY_TOKEN);
    expect(env('grafana').GF_SECURITY_ADMIN_PASSWORD).toBe(secrets.GRAFANA_ADMIN_PASSWORD);
    expect(read('.gitignore').split('\n')).toContain('.env');
  });

  it('Grafana queries as the read-only account the ClickHouse service gets from tools/clickhouse, never the writer or default', () => {
    const grafana = svc('grafana').environment!;
    const clickhouse = svc('clickhouse');
    const readers = readXml(path.join(ROOT, CLICKHOUSE_USERS_FILE)).children.find((c) => c.tag === 'users')!.children;
    expect(readers.map((u) => u.tag)).toContain(grafana.CLICKHOUSE_USER);
    expect(grafana.CLICKHOUSE_USER).not.toBe('default');
    expect(grafana.CLICKHOUSE_USER).not.toBe(svc('consume').environment!.CLICKHOUSE_USER);
    expect(grafana.CLICKHOUSE_USER).not.toBe(clickhouse.environment!.CLICKHOUSE_USER);
    // Its password is what the users.d file reads from the server's environment, and not the writer's.
    const fromEnv = /from_env="(\w+)"/.exec(read(CLICKHOUSE_USERS_FILE))![1]!;
    expect(clickhouse.environment![fromEnv]).toBeTruthy();
    expect(grafana.CLICKHOUSE_PASSWORD).toBe(clickhouse.environment![fromEnv]);
    expect(grafana.CLICKHOUSE_PASSWORD).not.toBe(clickhouse.environment!.CLICKHOUSE_PASSWORD);
    // Both files are mounted read-only where the server reads them on every start.
    const bind = Object.fromEntries(mounts(clickhouse).map((m) => [path.relative(ROOT, m.source), m.target]));
    expect(bind[CLICKHOUSE_USERS_FILE]).toBe(`/etc/clickhouse-server/users.d/${path.basename(CLICKHOUSE_USERS_FILE)}`);
    expect(bind[CLICKHOUSE_CONFIG_FILE]).toBe(`/etc/clickhouse-server/config.d/${path.basename(CLICKHOUSE_CONFIG_FILE)}`);
    for (const v of clickhouse.volumes ?? []) if (v.includes('/etc/clickhouse-server/')) expect(v).toMatch(/:ro$/);
    // The writer cannot create users either: nothing needs it now.
    expect(clickhouse.environment!.CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT ?? '0').toBe('0');
  });
});
