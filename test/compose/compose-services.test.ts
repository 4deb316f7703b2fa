// docker-compose.yml, parsed by Docker Compose itself (compose-config.ts), wired the way our code
// needs it: the services, pinned images, our config's variables, volumes, health checks, start
// order, Kafka's single-node settings and Grafana's provisioning. No Docker engine runs here, so
// nothing is started: the distributed topology itself is exercised by test/kafka/kafka-faults.test.ts.
import path from 'node:path';
import { expect, it } from 'vitest';
import { assertReceiverSecured, envSchema, loadConfig } from '../../core/config.js';
import { serverProperties } from '../../tools/kafka/server-config.js';
import { mounts, read, ROOT } from './compose-config.js';
import { describeComposeFile, OURS } from './compose-suite.js';

const schemaKeys = new Set(Object.keys(envSchema.shape));

describeComposeFile(({ need, svc, config }) => {
  it('is valid for docker-compose, with a default for every variable but the webhook secret (no warnings)', () => {
    expect(need().warnings).toEqual([]);
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
      expect(Object.keys(config().volumes ?? {})).toContain(mount!.source);
    }
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
});
