// Kafka as the queue: brokers, the topic and how it is created, publishing, TLS and SASL. Part of
// the one configuration schema (config.ts); unset KAFKA_BROKERS runs the embedded log.
import { z } from 'zod';
import { AppError } from './errors.js';
import { bool, int } from './env-values.js';
import { kafkaSecurity, readableFile, SASL_MECHANISMS, type KafkaSecurity } from './kafka-security.js';

/**
 * The largest body ingest accepts when Kafka is the queue: a broker's message.max.bytes is
 * 1,048,588 by default, for a whole record batch (the body plus its key, headers and framing).
 */
export const KAFKA_MAX_BODY_BYTES = 1_000_000;

const isPort = (n: number) => n >= 1 && n <= 65535;

export const kafkaEnv = {
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
};

type KafkaEnv = z.output<z.ZodObject<typeof kafkaEnv>>;

export interface KafkaConfig {
  brokers: string[];
  topic: string;
  partitions: number;
  replicationFactor: number;
  groupId: string;
  clientId: string;
  publishTimeoutMs: number;
  /** MAX_BODY_BYTES: ingest checks that the topic takes records this large (queue/kafka-topic.ts). */
  maxBodyBytes: number;
  /** TLS and SASL of every connection (KAFKA_SSL*, KAFKA_SASL*). */
  security: KafkaSecurity;
}

/** The Kafka settings when KAFKA_BROKERS is set; `maxBodyBytes` is MAX_BODY_BYTES. */
export function toKafkaConfig(e: KafkaEnv, maxBodyBytes: number): KafkaConfig | undefined {
  if (!e.KAFKA_BROKERS) return undefined;
  if (maxBodyBytes > KAFKA_MAX_BODY_BYTES) {
    // A body the broker refuses would be accepted (200) into ingest's fallback log and then
    // block forwarding for good: every later event waits behind it.
    throw new AppError('config_invalid', [
      `  MAX_BODY_BYTES=${maxBodyBytes}: expected at most ${KAFKA_MAX_BODY_BYTES} with KAFKA_BROKERS set (a Kafka broker takes records up to about 1 MiB by default, key and headers included)`,
    ]);
  }
  return {
    brokers: e.KAFKA_BROKERS,
    topic: e.KAFKA_TOPIC,
    partitions: e.KAFKA_PARTITIONS,
    replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    groupId: e.KAFKA_GROUP_ID,
    clientId: e.KAFKA_CLIENT_ID,
    publishTimeoutMs: e.KAFKA_PUBLISH_TIMEOUT_MS,
    maxBodyBytes,
    security: kafkaSecurity(e),
  };
}
