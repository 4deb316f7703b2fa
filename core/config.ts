// Environment variables are the configuration. They are read and validated once,
// at start-up, by this one schema; everything else receives typed values.
// .env.example lists every variable with its default (test/unit/config.test.ts keeps them in sync).
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { alertEnv, toAlertConfig, type AlertConfig } from './alert-config.js';
import { AppError } from './errors.js';
import { bool, int } from './env-values.js';
import { kafkaSecurity, readableFile, SASL_MECHANISMS, type KafkaSecurity } from './kafka-security.js';

/** What an agent may be called: in WEBHOOK_AGENTS, and in /webhook/:agent when unsigned mode takes any agent. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One secret: the whole value, spaces included (a passphrase is one secret, not a list). */
const secret = z
  .string()
  .refine((v) => v.trim() !== '', { message: 'expected a secret; a blank one would accept anything signed with whitespace (unset it, or set ALLOW_UNSIGNED=true for unsigned webhooks)' });

const SECRETS_EXPECTED = { message: 'expected a secret (non-blank text) or a non-empty list of secrets' };

const agentsJson = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"sales":["secret1","secret2"],"support":"secret3"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(AGENT_NAME, { message: 'agent names are letters, digits, "_", "-" or "." (at most 64)' }),
      z
        .union([z.string(), z.array(z.string()).min(1, SECRETS_EXPECTED)], SECRETS_EXPECTED)
        .transform((v) => (Array.isArray(v) ? v : [v]))
        .refine((list) => list.every((v) => v.trim() !== ''), SECRETS_EXPECTED),
      { message: 'expected a JSON object such as {"sales":["secret1","secret2"],"support":"secret3"}' },
    ),
  );

/**
 * The largest body ingest accepts when Kafka is the queue: a broker's message.max.bytes is
 * 1,048,588 by default, for a whole record batch (the body plus its key, headers and framing).
 */
export const KAFKA_MAX_BODY_BYTES = 1_000_000;

const MIB = 1024 * 1024;

const isPort = (n: number) => n >= 1 && n <= 65535;

/** An IP address, or one with a prefix length that fits it (what fastify's proxy check takes). */
function isAddressOrRange(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (family === 4 ? 32 : 128);
}

export const envSchema = z.object({
  /** TCP port of the HTTP receiver. @default 3000 (0 picks a free port) */
  PORT: int(0, 65535).default(3000),
  /** Interface to listen on. @default 0.0.0.0 */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Where the embedded queue, chDB data and run files live. @default ./data */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Secret of the plain /webhook route (agent "default"): one value, spaces included. */
  WEBHOOK_SECRET: secret.optional(),
  /** The secret being rotated out, also accepted on /webhook until it is unset. */
  WEBHOOK_SECRET_PREVIOUS: secret.optional(),
  /** JSON object: agent name -> secret or list of secrets, for /webhook/:agent. */
  WEBHOOK_AGENTS: agentsJson.optional(),
  /** Accept unsigned webhooks when no secret is configured; without it the receiver refuses to start. @default false */
  ALLOW_UNSIGNED: bool.default(false),
  /** Largest accepted body. @default 262144 */
  MAX_BODY_BYTES: int(1024, 16 * 1024 * 1024).default(256 * 1024),
  /**
   * Whose X-Forwarded-For to believe for the client address (the failed-signature limit is per
   * address): false (the peer is the client), true (any peer), a number of proxy hops, or the
   * proxies' addresses/CIDRs, comma-separated. @default false
   */
  TRUST_PROXY: z
    .string()
    .transform((v, ctx) => {
      if (v === 'false' || v === 'true') return v === 'true';
      if (/^\d+$/.test(v)) return Number(v);
      const list = v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      if (list.length > 0 && list.every(isAddressOrRange)) return list;
      ctx.addIssue({ code: 'custom', message: "expected true, false, a number of proxy hops, or the proxies' addresses or CIDRs, comma-separated" });
      return z.NEVER;
    })
    .default(false),
  /** Longest a client may take to send one whole request (headers and body), well under Aksita's 10 s. @default 5000 */
  REQUEST_TIMEOUT_MS: int(500, 9_000).default(5_000),
  /** Open connections the receiver holds at most; more are closed at once. @default 2048 */
  MAX_CONNECTIONS: int(1, 1_000_000).default(2_048),
  /** Open connections one peer address may hold (0 = no limit; trusted proxies are exempt). @default 128 */
  MAX_CONNECTIONS_PER_ADDRESS: int(0, 1_000_000).default(128),
  /** Reject events whose timestamp is older than this (0 = off). @default 0 */
  MAX_EVENT_AGE_SECONDS: int(0, 10 * 365 * 24 * 3600).default(0),
  /** Failed signature checks allowed per client address per minute before 429. @default 30 */
  SIGNATURE_FAILURES_PER_MINUTE: int(1, 1_000_000).default(30),
  /** Flush a batch into the store at this many rows. @default 20000 */
  BATCH_MAX_ROWS: int(1, 1_000_000).default(20_000),
  /** ...or when its oldest event has waited this long. @default 500 */
  BATCH_MAX_WAIT_MS: int(1, 60_000).default(500),
  /** Bearer token of the read-only query endpoint; generated into DATA_DIR when unset. */
  QUERY_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
  /** Interface of the read API (/api/query, /api/reports, /metrics): loopback unless you put it behind something. @default 127.0.0.1 */
  QUERY_HOST: z.string().min(1).default('127.0.0.1'),
  /** Port of the read API, never the receiver's. @default 3001 (0 picks a free port) */
  QUERY_PORT: int(0, 65535).default(3001),
  /** Longest one API query may run. @default 30 */
  QUERY_TIMEOUT_SECONDS: int(1, 3_600).default(30),
  /** Memory one API query may use, in MiB. @default 1024 */
  QUERY_MAX_MEMORY_MB: int(16, 1_048_576).default(1_024),
  /** Largest result one API query may return, in MiB. @default 256 */
  QUERY_MAX_RESULT_MB: int(1, 1_048_576).default(256),
  /** API queries that may run at once; more are answered 429. @default 2 */
  QUERY_MAX_CONCURRENT: int(1, 64).default(2),
  /** Kafka bootstrap servers, comma-separated; unset runs the embedded log instead. */
  KAFKA_BROKERS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^[^\s:]+:\d{1,5}$/, { message: 'expected host:port[,host:port...]' })
            .refine((b) => isPort(Number(b.slice(b.lastIndexOf(':') + 1))), { message: 'expected host:port with a port from 1 to 65535' }),
        )
        .min(1),
    )
    .optional(),
  /** Topic for reply events; created at start-up if missing. @default aksita.human_agent_replies */
  KAFKA_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, { message: 'expected a Kafka topic name' })
    .refine((t) => t !== '.' && t !== '..', { message: 'expected a Kafka topic name ("." and ".." are not allowed)' })
    .default('aksita.human_agent_replies'),
  /** Partitions when the topic is created: the most consumers that can share the work. @default 6 */
  KAFKA_PARTITIONS: int(1, 10_000).default(6),
  /** Replication factor when the topic is created (use 3 on a production cluster). @default 1 */
  KAFKA_REPLICATION_FACTOR: int(1, 16).default(1),
  /** Consumer group of `reply-analytics consume`. @default aksita-reply-analytics */
  KAFKA_GROUP_ID: z.string().min(1).default('aksita-reply-analytics'),
  /** Kafka client id. @default aksita-reply-analytics */
  KAFKA_CLIENT_ID: z.string().min(1).default('aksita-reply-analytics'),
  /** How long ingest waits for Kafka's acknowledgement before writing to the local fallback log; well inside Aksita's 10 s. @default 2000 */
  KAFKA_PUBLISH_TIMEOUT_MS: int(50, 8_000).default(2_000),
  /** Connect to Kafka with TLS (system CAs unless KAFKA_SSL_CA_FILE). @default false */
  KAFKA_SSL: bool.default(false),
  /** PEM file of the CA(s) that signed the brokers' certificates; unset: the system's CAs. */
  KAFKA_SSL_CA_FILE: readableFile.optional(),
  /** PEM client certificate for mutual TLS (needs KAFKA_SSL_KEY_FILE). */
  KAFKA_SSL_CERT_FILE: readableFile.optional(),
  /** PEM private key of KAFKA_SSL_CERT_FILE. */
  KAFKA_SSL_KEY_FILE: readableFile.optional(),
  /** Name the brokers' certificates carry, when it differs from the host in KAFKA_BROKERS. */
  KAFKA_SSL_SERVERNAME: z.string().min(1).optional(),
  /** SASL mechanism; unset: no SASL. */
  KAFKA_SASL_MECHANISM: z.enum(SASL_MECHANISMS, { message: `expected one of ${SASL_MECHANISMS.join(', ')}` }).optional(),
  /** SASL user (plain, scram-sha-256, scram-sha-512). */
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** SASL password; or KAFKA_SASL_PASSWORD_FILE. */
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /** File holding the SASL password (one final newline is ignored). */
  KAFKA_SASL_PASSWORD_FILE: readableFile.optional(),
  /** oauthbearer: file holding the current token, read again whenever a connection authenticates. */
  KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: readableFile.optional(),
  /** oauthbearer: shell command printing a token, run again whenever a connection authenticates. */
  KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: z.string().min(1).optional(),
  /** ClickHouse server, http(s)://host:port; unset runs chDB under DATA_DIR instead. */
  CLICKHOUSE_URL: z.string().refine(isPlainHttpUrl, { message: 'expected http(s)://host:port, e.g. http://clickhouse:8123 (user, password and database have their own variables)' }).optional(),
  /** ClickHouse user (server mode only). @default default */
  CLICKHOUSE_USER: z.string().min(1).default('default'),
  /** ClickHouse password (server mode only). @default empty */
  CLICKHOUSE_PASSWORD: z.string().optional(),
  /**
   * The connection's current database: what unqualified table names in `sql`, /api/query and
   * reports resolve to (server mode only). The schema always lives in `aksita`; this never moves it.
   * @default the user's default database on the server
   */
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'expected a database name: letters, digits and "_"' })
    .optional(),
  /** Cluster name (or a {macro}) from the server's remote_servers: DDL runs ON CLUSTER on replicated tables. Unset: one server. */
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z0-9_.{}-]{1,128}$/, { message: 'expected a cluster name from remote_servers, or a macro such as {cluster}' })
    .optional(),
  // Alerts: rules evaluated in the pipeline process and generated for Grafana (core/alert-config.ts).
  ...alertEnv,
  // Operating the data (README, "Operating the data"): retention and the admin endpoint.
  /** Days replies, dead letters and rollups are kept (ClickHouse TTL, by event or receipt time); unset: forever. */
  RETENTION_DAYS: int(1, 100_000).optional(),
  /** Days after which raw_body alone is cleared (column TTL) while analytic columns stay; unset: kept as long as the row. */
  RAW_BODY_DAYS: int(1, 100_000).optional(),
  /** Bearer token of the admin endpoints (/api/admin/*: erase, dead-letter replay, backup); generated into DATA_DIR/run/admin-token when unset. */
  ADMIN_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
  /** Set by a desktop session (X11, Wayland): `reply-analytics open` then opens a browser, else only prints the link. */
  DISPLAY: z.string().optional(),
  WAYLAND_DISPLAY: z.string().optional(),
  /** pino log level. @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.output<typeof envSchema>;

function isPlainHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash;
  } catch {
    return false;
  }
}

/** A value as shown in a configuration error: secrets hidden, a URL without its password. */
function shownValue(key: string, value: unknown): string {
  if (/SECRET|TOKEN|AGENTS|PASSWORD/.test(key)) return '(hidden)';
  if (key === 'ALERT_WEBHOOK_URL') return '(hidden)'; // a Slack webhook URL is itself a credential
  if (key === 'CLICKHOUSE_URL' && typeof value === 'string') return JSON.stringify(value.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:(hidden)@'));
  return JSON.stringify(value);
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** agent -> accepted secrets; an agent missing here is unknown unless the receiver is in unsigned mode. */
  agentSecrets: ReadonlyMap<string, readonly string[]>;
  /** No secret configured anywhere: every agent is accepted and stored as unsigned. */
  unsignedMode: boolean;
  /** ALLOW_UNSIGNED: unsigned mode was asked for in words (assertReceiverSecured). */
  allowUnsigned: boolean;
  /** What one client may hold on the receiver's listener. */
  receiver: ReceiverLimits;
  /** The read API's own listener and what one query may use. */
  query: QueryConfig;
  maxBodyBytes: number;
  /** fastify's trustProxy: whose X-Forwarded-For gives the client address. */
  trustProxy: boolean | number | string[];
  maxEventAgeSeconds: number;
  signatureFailuresPerMinute: number;
  batchMaxRows: number;
  batchMaxWaitMs: number;
  queryToken: string | undefined;
  /** ADMIN_TOKEN; unset: DATA_DIR/run/admin-token. */
  adminToken: string | undefined;
  /** RETENTION_DAYS and RAW_BODY_DAYS; undefined = keep. */
  retention: RetentionConfig;
  logLevel: Env['LOG_LEVEL'];
  /** A desktop to open a browser on: DISPLAY or WAYLAND_DISPLAY set, or macOS (reply-analytics open). */
  desktop: boolean;
  /** Set when KAFKA_BROKERS is: Kafka is the queue. */
  kafka: KafkaConfig | undefined;
  /** Set when CLICKHOUSE_URL is: a ClickHouse server is the store (else chDB under dataDir). */
  clickhouse: ClickHouseConfig | undefined;
  /** Alert rules' thresholds and where notifications go (ALERT_*). */
  alerts: AlertConfig;
}

export interface RetentionConfig {
  days: number | undefined;
  rawBodyDays: number | undefined;
}

export interface ReceiverLimits {
  requestTimeoutMs: number;
  maxConnections: number;
  /** 0 = no per-address limit. */
  maxConnectionsPerAddress: number;
}

export interface QueryConfig {
  host: string;
  port: number;
  timeoutSeconds: number;
  maxMemoryBytes: number;
  maxResultBytes: number;
  maxConcurrent: number;
}

export interface ClickHouseConfig {
  url: string;
  user: string;
  password: string;
  /** The connection's current database; undefined = the user's default on the server. */
  database: string | undefined;
  /** Replicated tables and ON CLUSTER DDL on this cluster; undefined = one server. */
  cluster: string | undefined;
}

export interface KafkaConfig {
  brokers: string[];
  topic: string;
  partitions: number;
  replicationFactor: number;
  groupId: string;
  clientId: string;
  publishTimeoutMs: number;
  /** MAX_BODY_BYTES: ingest checks that the topic takes records this large (kafka-client.ts). */
  maxBodyBytes: number;
  /** TLS and SASL of every connection (KAFKA_SSL*, KAFKA_SASL*). */
  security: KafkaSecurity;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as in most .env tooling.
  const env = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      // zod reports a bad record key without the key's own message; say what a name must be.
      const message =
        issue.code === 'invalid_key'
          ? `agent "${String(issue.path.at(-1) ?? '')}" is not a valid name: agent names are letters, digits, "_", "-" or "." (at most 64)`
          : key === 'WEBHOOK_AGENTS' && issue.path.length > 1
            ? `agent "${String(issue.path[1])}": ${issue.message}`
            : issue.message;
      const shown = shownValue(key, env[key]);
      return `  ${key}=${shown}: ${message}`;
    });
    throw new AppError('config_invalid', [lines.join('\n')]);
  }
  const e = parsed.data;
  const agentSecrets = new Map<string, readonly string[]>(Object.entries(e.WEBHOOK_AGENTS ?? {}));
  if (e.WEBHOOK_SECRET_PREVIOUS && !e.WEBHOOK_SECRET) {
    throw new AppError('config_invalid', ['  WEBHOOK_SECRET_PREVIOUS=(hidden): expected WEBHOOK_SECRET to be set too (the previous secret is accepted beside the current one while rotating)']);
  }
  if (e.WEBHOOK_SECRET) {
    const own = [e.WEBHOOK_SECRET, ...(e.WEBHOOK_SECRET_PREVIOUS ? [e.WEBHOOK_SECRET_PREVIOUS] : [])];
    agentSecrets.set('default', [...(agentSecrets.get('default') ?? []), ...own]);
  }
  const unsignedMode = agentSecrets.size === 0;
  if (e.ALLOW_UNSIGNED && !unsignedMode) {
    throw new AppError('config_invalid', ['  ALLOW_UNSIGNED=true: expected no WEBHOOK_SECRET or WEBHOOK_AGENTS with it (with a secret every request must be signed)']);
  }
  if (e.KAFKA_BROKERS && e.MAX_BODY_BYTES > KAFKA_MAX_BODY_BYTES) {
    // A body the broker refuses would be accepted (200) into ingest's fallback log and then
    // block forwarding for good: every later event waits behind it.
    throw new AppError('config_invalid', [
      `  MAX_BODY_BYTES=${e.MAX_BODY_BYTES}: expected at most ${KAFKA_MAX_BODY_BYTES} with KAFKA_BROKERS set (a Kafka broker takes records up to about 1 MiB by default, key and headers included)`,
    ]);
  }
  if (e.RETENTION_DAYS !== undefined && e.RAW_BODY_DAYS !== undefined && e.RAW_BODY_DAYS > e.RETENTION_DAYS) {
    throw new AppError('config_invalid', [`  RAW_BODY_DAYS=${e.RAW_BODY_DAYS}: expected at most RETENTION_DAYS (${e.RETENTION_DAYS}); the whole row is gone by then`]);
  }
  if (e.CLICKHOUSE_CLUSTER && !e.CLICKHOUSE_URL) {
    throw new AppError('config_invalid', [`  CLICKHOUSE_CLUSTER=${JSON.stringify(e.CLICKHOUSE_CLUSTER)}: expected CLICKHOUSE_URL to be set too (the embedded chDB store has no cluster)`]);
  }
  const alerts = toAlertConfig(e);
  if (Array.isArray(alerts)) throw new AppError('config_invalid', alerts);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    agentSecrets,
    unsignedMode,
    allowUnsigned: e.ALLOW_UNSIGNED,
    receiver: { requestTimeoutMs: e.REQUEST_TIMEOUT_MS, maxConnections: e.MAX_CONNECTIONS, maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS },
    query: {
      host: e.QUERY_HOST,
      port: e.QUERY_PORT,
      timeoutSeconds: e.QUERY_TIMEOUT_SECONDS,
      maxMemoryBytes: e.QUERY_MAX_MEMORY_MB * MIB,
      maxResultBytes: e.QUERY_MAX_RESULT_MB * MIB,
      maxConcurrent: e.QUERY_MAX_CONCURRENT,
    },
    maxBodyBytes: e.MAX_BODY_BYTES,
    trustProxy: e.TRUST_PROXY,
    maxEventAgeSeconds: e.MAX_EVENT_AGE_SECONDS,
    signatureFailuresPerMinute: e.SIGNATURE_FAILURES_PER_MINUTE,
    batchMaxRows: e.BATCH_MAX_ROWS,
    batchMaxWaitMs: e.BATCH_MAX_WAIT_MS,
    queryToken: e.QUERY_TOKEN,
    adminToken: e.ADMIN_TOKEN,
    retention: { days: e.RETENTION_DAYS, rawBodyDays: e.RAW_BODY_DAYS },
    logLevel: e.LOG_LEVEL,
    desktop: Boolean(e.DISPLAY || e.WAYLAND_DISPLAY) || process.platform === 'darwin',
    kafka: e.KAFKA_BROKERS
      ? {
          brokers: e.KAFKA_BROKERS,
          topic: e.KAFKA_TOPIC,
          partitions: e.KAFKA_PARTITIONS,
          replicationFactor: e.KAFKA_REPLICATION_FACTOR,
          groupId: e.KAFKA_GROUP_ID,
          clientId: e.KAFKA_CLIENT_ID,
          publishTimeoutMs: e.KAFKA_PUBLISH_TIMEOUT_MS,
          maxBodyBytes: e.MAX_BODY_BYTES,
          security: kafkaSecurity(e),
        }
      : undefined,
    clickhouse: e.CLICKHOUSE_URL
      ? {
          url: e.CLICKHOUSE_URL,
          user: e.CLICKHOUSE_USER,
          password: e.CLICKHOUSE_PASSWORD ?? '',
          database: e.CLICKHOUSE_DATABASE,
          cluster: e.CLICKHOUSE_CLUSTER,
        }
      : undefined,
    alerts,
  };
}

/**
 * Fails closed: a process that receives webhooks needs a secret, or ALLOW_UNSIGNED=true saying
 * in words that unsigned ones are wanted. Processes that only read (consume, sql) need neither.
 */
export function assertReceiverSecured(config: Config): void {
  if (config.unsignedMode && !config.allowUnsigned) {
    throw new AppError('config_invalid', [
      "  WEBHOOK_SECRET, WEBHOOK_AGENTS: expected a secret (the one set in Aksita's agent settings), e.g. WEBHOOK_SECRET=s3cr3t npm start; to accept unsigned webhooks from anyone instead, set ALLOW_UNSIGNED=true",
    ]);
  }
}
