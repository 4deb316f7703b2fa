// Versioned schema migrations. Each runs once, in order, and is recorded in
// aksita.schema_migrations; every statement is also idempotent (IF NOT EXISTS), so a crash
// between a statement and its record is repaired by simply running it again.

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const DATABASE = 'aksita';
export const REPLIES_TABLE = `${DATABASE}.human_agent_replies`;
export const DEAD_LETTERS_TABLE = `${DATABASE}.dead_letters`;
export const MIGRATIONS_TABLE = `${DATABASE}.schema_migrations`;

// How many recent insert tokens a table remembers to make a retried batch a no-op.
// ClickHouse's default for non-replicated tables is 0 (off); see DESIGN.md promise 3.
const DEDUP_WINDOW = 10_000;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'replies and dead letters',
    statements: [
      // One row per human-agent reply.
      // Engine: ReplacingMergeTree, so rows that share the sorting key collapse on merge: the
      //   last line of defence behind the insert token and the pre-insert key check, which are
      //   what make a plain count() exact as soon as rows are visible.
      // ORDER BY: (agent, day, conversation, message). Every part is a function of the body,
      //   so a re-delivered reply always has the same key. Dashboards filter by agent and time
      //   and window over a conversation's replies in time order, which this order serves.
      // PARTITION BY month of the event: time-range queries skip whole months, and old months
      //   can be dropped cheaply.
      `CREATE TABLE IF NOT EXISTS ${REPLIES_TABLE} (
        agent LowCardinality(String),
        message_id String,
        conversation_id String,
        response Array(String),
        response_parts UInt16 DEFAULT length(response),
        response_chars UInt32 DEFAULT arraySum(arrayMap(x -> lengthUTF8(x), response)),
        credits Float64,
        remaining_credits Float64,
        additional_context String,
        source LowCardinality(String),
        event_time DateTime64(3, 'UTC') COMMENT 'timestamp from the payload, in UTC',
        event_utc_offset_minutes Int16 COMMENT 'the sender''s UTC offset, minutes east',
        received_at DateTime64(3, 'UTC') COMMENT 'when ingest received the request',
        stored_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'when the row was inserted',
        signature_status LowCardinality(String) COMMENT 'valid or unsigned',
        raw_body String COMMENT 'the exact body bytes that were signed' CODEC(ZSTD(3)),
        queue_name LowCardinality(String),
        queue_partition UInt32,
        queue_offset UInt64,
        INDEX message_id_bloom message_id TYPE bloom_filter GRANULARITY 4
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(event_time)
      ORDER BY (agent, toDate(event_time), conversation_id, message_id)
      SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
      // Signed payloads that failed validation, kept byte-exact for replay once fixed.
      // raw_body arrives base64-encoded because such a body need not be valid UTF-8,
      // and JSON (the insert format) can only carry text.
      `CREATE TABLE IF NOT EXISTS ${DEAD_LETTERS_TABLE} (
        agent LowCardinality(String),
        received_at DateTime64(3, 'UTC'),
        stored_at DateTime64(3, 'UTC') DEFAULT now64(3),
        reason_code LowCardinality(String),
        reason String,
        signature_status LowCardinality(String),
        raw_body_base64 String EPHEMERAL,
        raw_body String DEFAULT base64Decode(raw_body_base64) CODEC(ZSTD(3)),
        queue_name LowCardinality(String),
        queue_partition UInt32,
        queue_offset UInt64
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(received_at)
      ORDER BY (queue_name, queue_partition, queue_offset)
      SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
    ],
  },
];

export const bootstrapStatements: readonly string[] = [
  `CREATE DATABASE IF NOT EXISTS ${DATABASE}`,
  `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  ) ENGINE = ReplacingMergeTree ORDER BY version`,
];
