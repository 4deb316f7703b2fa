// docker-compose.yml, parsed by Docker Compose itself (compose-config.ts), wired the way our code
// needs it. No Docker engine runs here, so nothing is started: this checks the file, and the
// distributed topology itself is exercised without Docker by test/kafka/kafka-faults.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertReceiverSecured, envSchema, loadConfig } from '../../core/config.js';
import { serverProperties } from '../../tools/kafka/server-config.js';
import {
  CLICKHOUSE_CONFIG_FILE,
  CLICKHOUSE_USERS_FILE,
  composeConfig,
  composeVersion,
  MINIMAL_ENV,
  mounts,
  publishedPorts,
  ROOT,
  runComposeConfig,
  type ComposeConfig,
  type ComposeService,
} from './compose-config.js';
import { readXml } from './xml-tree.js';

const version = composeVersion();
// CI installs docker-compose (.ci/run); there its absence is a failure, never a skip.
const skipLocally = !version && !process.env.CI;
if (skipLocally) {
  console.warn(
    '\n*** docker-compose.yml checks SKIPPED: the docker-compose binary is not installed. ***\n' +
      "*** Install Debian's package (apt-get install docker-compose) to run them; CI does, and fails without it. ***\n",
  );
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const schemaKeys = new Set(Object.keys(envSchema.shape));
const OURS = ['ingest', 'consume'];

describe.skipIf(skipLocally)(`docker-compose.yml (docker-compose ${version ?? 'NOT INSTALLED'})`, () => {
  const MISSING = "docker-compose is not installed: .ci/run must install Debian's docker-compose package (apt-get install docker-compose)";
  let parsed: { config: ComposeConfig; warnings: string[] } | undefined;
  // In CI without the binary every test below fails with MISSING, rather than being skipped.
  const need = () => parsed ?? expect.fail(MISSING);
  let config: ComposeConfig;
  const svc = (name: string): ComposeService => need().config.services[name] ?? expect.fail(`docker-compose.yml has no "${name}" service`);
  beforeAll(() => {
    if (!version) return;
    parsed = composeConfig();
    config = parsed.config;
  });

  it('is valid for docker-compose, with a default for every variable but the webhook secret (no warnings)', () => {
    expect(need().warnings).toEqual([]);
  });

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

  it('has every service of the distributed stack', () => {
    expect(Object.keys(need().config.services).sort()).toEqual(['clickhouse', 'consume', 'grafana', 'ingest', 'kafka']);
  });

  it('pins every image to a version, never latest', () => {
    for (const [name, s] of Object.entries(need().config.services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
    expect(svc('kafka').image).toBe(`apache/kafka:${/<kafka\.version>([^<]+)</.exec(read('tools/kafka/pom.xml'))![1]}`);
    expect(svc('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+\.\d+\.\d+$/);
    expect(svc('grafana').image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  it('ingest and consume are our Dockerfile, running the ingest and consume commands', () => {
    for (const name of OURS) {
      expect(svc(name).build?.context, name).toBe(ROOT);
      expect(svc(name).command, name).toEqual([name]);
    }
    expect(svc('ingest').image).toBe(svc('consume').image);
  });

  it('ingest and consume read only variables of our config schema, with values it accepts', () => {
    for (const name of OURS) {
      const env = svc(name).environment ?? {};
      expect(
        Object.keys(env).filter((k) => !schemaKeys.has(k)),
        `${name}: not in core/config.ts`,
      ).toEqual([]);
      expect(() => loadConfig(env), name).not.toThrow();
    }
    const ingest = loadConfig(svc('ingest').environment);
    expect(() => assertReceiverSecured(ingest)).not.toThrow();
    const consume = loadConfig(svc('consume').environment);
    expect(ingest.kafka?.brokers).toEqual(['kafka:9092']); // else ingest would run the embedded log
    expect(consume.kafka?.brokers).toEqual(['kafka:9092']);
    expect(consume.clickhouse).toMatchObject({ url: 'http://clickhouse:8123', user: svc('clickhouse').environment!.CLICKHOUSE_USER });
    expect(consume.clickhouse?.password).toBe(svc('clickhouse').environment!.CLICKHOUSE_PASSWORD);
    expect(consume.kafka?.topic).toBe(ingest.kafka?.topic);
  });

  it('ingest passes on every receiver setting from .env (the README tells users to set them there)', () => {
    const receiverSettings = [
      'WEBHOOK_SECRET',
      'WEBHOOK_AGENTS',
      'WEBHOOK_SECRET_PREVIOUS',
      'ALLOW_UNSIGNED',
      'REQUEST_TIMEOUT_MS',
      'MAX_CONNECTIONS',
      'MAX_CONNECTIONS_PER_ADDRESS',
      'MAX_BODY_BYTES',
      'MAX_EVENT_AGE_SECONDS',
      'SIGNATURE_FAILURES_PER_MINUTE',
      'TRUST_PROXY',
      'KAFKA_PUBLISH_TIMEOUT_MS',
    ];
    expect(Object.keys(svc('ingest').environment ?? {})).toEqual(expect.arrayContaining(receiverSettings));
  });

  it('DATA_DIR of ingest (its Kafka fallback log) and consume is a volume, so it outlives the container', () => {
    for (const name of OURS) {
      const dataDir = svc(name).environment!.DATA_DIR;
      const mount = mounts(svc(name)).find((m) => m.target === dataDir);
      expect(mount?.source, name).toMatch(/^[\w-]+$/); // a named volume
      expect(Object.keys(config.volumes ?? {})).toContain(mount!.source);
    }
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

  it('every service that others wait for has a health check; our services check /readyz on PORT', () => {
    for (const name of ['kafka', 'clickhouse', ...OURS]) expect(svc(name).healthcheck?.test, name).toBeDefined();
    for (const name of OURS) {
      const port = svc(name).environment!.PORT;
      expect(JSON.stringify(svc(name).healthcheck!.test), name).toContain(`127.0.0.1:${port}/readyz`);
    }
    expect(svc('clickhouse').environment!.CLICKHOUSE_PASSWORD).not.toBe('');
    expect(mounts(svc('clickhouse')).map((m) => m.target)).toContain('/var/lib/clickhouse');
  });

  it('start order: each service waits for the health of what it uses', () => {
    const healthy = (name: string) =>
      Object.entries(svc(name).depends_on ?? {})
        .filter(([, d]) => d.condition === 'service_healthy')
        .map(([n]) => n)
        .sort();
    expect(healthy('ingest')).toEqual(['kafka']);
    expect(healthy('consume')).toEqual(['clickhouse', 'kafka']);
    // Grafana's data source defaults to the aksita database, which consume's migrations create.
    expect(healthy('grafana')).toEqual(['clickhouse', 'consume']);
  });

  it('Kafka: a complete single-node KRaft configuration, internal topics with one replica', () => {
    const env = svc('kafka').environment!;
    for (const key of [
      'CLUSTER_ID',
      'KAFKA_NODE_ID',
      'KAFKA_CONTROLLER_QUORUM_VOTERS',
      'KAFKA_LISTENERS',
      'KAFKA_ADVERTISED_LISTENERS',
      'KAFKA_CONTROLLER_LISTENER_NAMES',
      'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
      'KAFKA_INTER_BROKER_LISTENER_NAME',
    ]) {
      expect(env[key], key).toBeTruthy();
    }
    expect(env.KAFKA_PROCESS_ROLES!.split(',').sort()).toEqual(['broker', 'controller']);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    // The same replication settings as the development broker (tools/kafka/server-config.ts).
    const props = serverProperties({ logDir: '/x', port: 1, controllerPort: 2 });
    for (const [, key, value] of props.matchAll(/^([\w.]+(?:replication\.factor|min\.isr))=(\S+)$/gm)) {
      expect(env[`KAFKA_${key!.toUpperCase().replace(/\./g, '_')}`], key).toBe(value);
    }
    expect(mounts(svc('kafka')).map((m) => m.target)).toContain(env.KAFKA_LOG_DIRS);
  });

  it('Grafana: the ClickHouse plugin pinned (4.19 or later), datasource and dashboards provisioned from dashboards/', () => {
    const env = svc('grafana').environment!;
    const [, major, minor] = /grafana-clickhouse-datasource@(\d+)\.(\d+)\.\d+/.exec(env.GF_PLUGINS_PREINSTALL_SYNC ?? '') ?? [];
    expect(Number(major) * 1000 + Number(minor)).toBeGreaterThanOrEqual(4019);
    const bind = Object.fromEntries(mounts(svc('grafana')).map((m) => [path.relative(ROOT, m.source), m.target]));
    expect(bind['dashboards/provisioning/datasources']).toBe('/etc/grafana/provisioning/datasources');
    expect(bind['dashboards/provisioning/dashboards']).toBe('/etc/grafana/provisioning/dashboards');
    const provider = read('dashboards/provisioning/dashboards/aksita.yaml');
    expect(bind['dashboards/generated']).toBe(/^\s*path:\s*(\S+)/m.exec(provider)![1]);
    // Every variable the datasource file reads is set on the Grafana service.
    const datasource = read('dashboards/provisioning/datasources/clickhouse.yaml');
    const wanted = [...datasource.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
    expect(wanted.length).toBeGreaterThan(0);
    for (const name of wanted) expect(env[name], `grafana env ${name}`).toBeTruthy();
    expect(env.CLICKHOUSE_HOST).toBe('clickhouse');
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

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const ignore = read('.dockerignore')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));

  it('is multi-stage on a pinned Node that package.json supports, and runs as a non-root user', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const base = /^ARG NODE_IMAGE=(node:(\d+)\.\d+\.\d+-\S+)$/m.exec(dockerfile);
    expect(base, 'ARG NODE_IMAGE=node:<x.y.z>-<variant>').not.toBeNull();
    const minMajor = Number(/>=(\d+)/.exec(JSON.parse(read('package.json')).engines.node)![1]);
    expect(Number(base![2])).toBeGreaterThanOrEqual(minMajor);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toMatch(/^(?!root$|0$)/);
  });

  it('installs production dependencies only, with the lockfile', () => {
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
    expect(dockerfile).toMatch(/^RUN npm (ci|install) --omit=dev\b/m);
  });

  it('copies every folder the CLI imports, and the build context never holds .env', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) \.\/\1$/gm)].map((m) => m[1]!);
    const imported = new Set<string>();
    for (const dir of copied) {
      for (const file of readdirTs(dir)) for (const m of read(file).matchAll(/from '\.\.\/([\w-]+)\//g)) imported.add(m[1]!);
    }
    expect([...imported].filter((d) => !copied.includes(d))).toEqual([]);
    expect(ignore[0]).toBe('*'); // an allow-list
    for (const dir of copied) expect(ignore, dir).toContain(`!${dir}/`);
    expect(ignore.filter((l) => l.includes('.env'))).toEqual([]);
  });
});

/** The .ts files under a top-level folder, relative to the repository. */
function readdirTs(dir: string): string[] {
  return (readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}
