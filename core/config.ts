// Environment variables are the configuration. They are read and validated once,
// at start-up, by this one schema; everything else receives typed values.
// .env.example lists every variable with its default (test/unit/config.test.ts keeps them in sync).
// Each concern's variables and typed settings live in a file of their own (receiver-config.ts,
// query-config.ts, kafka-config.ts, store-config.ts, alert-config.ts); this one puts them together.
import path from 'node:path';
import { z } from 'zod';
import { alertEnv, toAlertConfig, type AlertConfig } from './alert-config.js';
import { AppError } from './errors.js';
import { int } from './env-values.js';
import { toKafkaConfig, kafkaEnv, type KafkaConfig } from './kafka-config.js';
import { queryEnv, toQueryConfig, type QueryConfig } from './query-config.js';
import { agentSecrets, receiverEnv, receiverLimits, type ReceiverLimits } from './receiver-config.js';
import { clickhouseEnv, dataOpsEnv, toClickHouseConfig, toRetention, type ClickHouseConfig, type RetentionConfig } from './store-config.js';

export type { KafkaConfig } from './kafka-config.js';
export { KAFKA_MAX_BODY_BYTES } from './kafka-config.js';
export type { QueryConfig } from './query-config.js';
export { AGENT_NAME, type ReceiverLimits } from './receiver-config.js';
export type { ClickHouseConfig, RetentionConfig } from './store-config.js';

// One schema of every variable; a configuration error lists its problems in this order.
export const envSchema = z.object({
  /** TCP port of the HTTP receiver. @default 3000 (0 picks a free port) */
  PORT: int(0, 65535).default(3000),
  /** Interface to listen on. @default 0.0.0.0 */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Where the embedded queue, chDB data and run files live. @default ./data */
  DATA_DIR: z.string().min(1).default('./data'),
  ...receiverEnv,
  /** Flush a batch into the store at this many rows. @default 20000 */
  BATCH_MAX_ROWS: int(1, 1_000_000).default(20_000),
  /** ...or when its oldest event has waited this long. @default 500 */
  BATCH_MAX_WAIT_MS: int(1, 60_000).default(500),
  ...queryEnv,
  ...kafkaEnv,
  ...clickhouseEnv,
  // Alerts: rules evaluated in the pipeline process and generated for Grafana (core/alert-config.ts).
  ...alertEnv,
  ...dataOpsEnv,
  /** Set by a desktop session (X11, Wayland): `reply-analytics open` then opens a browser, else only prints the link. */
  DISPLAY: z.string().optional(),
  WAYLAND_DISPLAY: z.string().optional(),
  /** pino log level. @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.output<typeof envSchema>;

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
  const secrets = agentSecrets(e);
  const alerts = toAlertConfig(e);
  const kafka = toKafkaConfig(e, e.MAX_BODY_BYTES);
  const retention = toRetention(e);
  const clickhouse = toClickHouseConfig(e);
  if (Array.isArray(alerts)) throw new AppError('config_invalid', alerts);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    agentSecrets: secrets,
    unsignedMode: secrets.size === 0,
    allowUnsigned: e.ALLOW_UNSIGNED,
    receiver: receiverLimits(e),
    query: toQueryConfig(e),
    maxBodyBytes: e.MAX_BODY_BYTES,
    trustProxy: e.TRUST_PROXY,
    maxEventAgeSeconds: e.MAX_EVENT_AGE_SECONDS,
    signatureFailuresPerMinute: e.SIGNATURE_FAILURES_PER_MINUTE,
    batchMaxRows: e.BATCH_MAX_ROWS,
    batchMaxWaitMs: e.BATCH_MAX_WAIT_MS,
    queryToken: e.QUERY_TOKEN,
    adminToken: e.ADMIN_TOKEN,
    retention,
    logLevel: e.LOG_LEVEL,
    desktop: Boolean(e.DISPLAY || e.WAYLAND_DISPLAY) || process.platform === 'darwin',
    kafka,
    clickhouse,
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
