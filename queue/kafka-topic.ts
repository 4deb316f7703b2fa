// The topic at start-up: created when missing, checked that it takes the largest body ingest
// accepts. Whichever side starts first (receiver or consumer) creates it.
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import type { KafkaConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { securityProblem } from './kafka-security-errors.js';

// Refusals of a topic's creation that no retry can change: the settings must. Each names the
// variable to change (kafkajs reports them per topic, inside an aggregate error).
const SETTING_OF_REFUSAL: Record<string, (c: KafkaConfig) => string> = {
  INVALID_REPLICATION_FACTOR: (c) => `KAFKA_REPLICATION_FACTOR=${c.replicationFactor}`,
  INVALID_PARTITIONS: (c) => `KAFKA_PARTITIONS=${c.partitions}`,
  INVALID_TOPIC_EXCEPTION: (c) => `KAFKA_TOPIC=${c.topic}`,
  POLICY_VIOLATION: (c) => `KAFKA_TOPIC=${c.topic}`,
};

// A record's key (at most 256 characters of conversation id), its headers and the framing of a
// one-record batch, on top of the body.
const RECORD_OVERHEAD_BYTES = 1024;

/**
 * Refuses a topic that cannot take the largest body ingest accepts: such a body would be
 * answered 200 into the fallback log and then hold up forwarding for good, every later event
 * waiting behind it. The topic's limit is its max.message.bytes (the broker's default unless set).
 */
async function checkRecordSize(admin: Admin, config: KafkaConfig): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    // ConfigResourceTypes through the default export: Node's import of kafkajs (CommonJS) does not see it by name.
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: config.topic, configNames: ['max.message.bytes'] }],
  });
  const limit = Number(described.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
  if (Number.isSafeInteger(limit) && config.maxBodyBytes + RECORD_OVERHEAD_BYTES > limit) {
    throw new AppError('config_invalid', [
      `  MAX_BODY_BYTES=${config.maxBodyBytes}: topic ${config.topic} takes records of at most ${limit} bytes (max.message.bytes), and a record is the body plus up to ${RECORD_OVERHEAD_BYTES} bytes; expected MAX_BODY_BYTES of at most ${limit - RECORD_OVERHEAD_BYTES}, or a larger max.message.bytes on the topic`,
    ]);
  }
}

/**
 * Creates the topic if it does not exist; an existing topic is left as it is. A broker that
 * refuses the topic as configured is a config_invalid naming the setting, not a Kafka outage.
 */
async function ensureTopic(admin: Admin, config: KafkaConfig): Promise<void> {
  const existing = await admin.listTopics();
  if (existing.includes(config.topic)) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: config.topic, numPartitions: config.partitions, replicationFactor: config.replicationFactor }],
    });
  } catch (err) {
    const refusal = ((err as { errors?: unknown[] }).errors ?? [err]).find((e) => (e as { type?: string }).type! in SETTING_OF_REFUSAL) as { type: string; message: string } | undefined;
    if (!refusal) throw err;
    throw new AppError(
      'config_invalid',
      [`  ${SETTING_OF_REFUSAL[refusal.type]!(config)}: the Kafka broker refused to create topic ${config.topic}: ${refusal.message} (${refusal.type}); expected settings this cluster accepts`],
      { cause: err },
    );
  }
}

/**
 * Creates the topic when missing (called by whichever side starts first); for ingest, also
 * checks in the same admin session that the topic takes the largest body it accepts.
 */
export async function prepareTopic(kafka: Kafka, config: KafkaConfig, { sizeCheck = false } = {}): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureTopic(admin, config);
    if (sizeCheck) await checkRecordSize(admin, config);
  } catch (err) {
    // Refused credentials or an untrusted certificate: the settings must change, not the broker's state.
    throw (await securityProblem(err, config)) ?? err;
  } finally {
    await admin.disconnect();
  }
}
