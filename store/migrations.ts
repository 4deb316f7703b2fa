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
export const ROLLUP_TABLE = `${DATABASE}.replies_5m`;
export const APPLIED_SETTINGS_TABLE = `${DATABASE}.applied_settings`;

// How many recent insert tokens a table remembers to make a retried batch a no-op.
// ClickHouse's default for non-replicated tables is 0 (off); see ARCHITECTURE.md, "Exactly once".
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
  {
    version: 2,
    name: 'report views',
    // Parameterized views for the common questions, shared by the SQL console and
    // `reply-analytics report` so both give the same figures (README.md, "Useful queries", documents
    // the columns). Every view takes (tz, from, to): days are calendar days in tz, and the range
    // is [from, to) on event_time; a from/to without an offset is read in tz.
    // FINAL: a reply stored twice (before a merge collapses it) still counts once.
    // Percentiles interpolate between neighbours (quantileExactInclusive, like numpy's default),
    // rounded to 0.1 ms.
    // Credits used is the dashboards' definition ("Credits used per day", dashboards/remaining-credits.ts):
    // the sum of drops in remaining_credits between the agent's consecutive replies in the range
    // (ordered by event_time, received_at, message_id), each drop counted on the day (in tz) of the
    // later reply of the pair; rises (top-ups) are not usage, and the first reply in the range has
    // no previous one (a drop from a reply before `from` is not counted). The sum of the payload's
    // `credits` field (0 for human-agent replies per Aksita's spec) is credits_charged.
    // test/reports/credits-used-parity.test.ts keeps the two equal.
    statements: [
      `CREATE VIEW IF NOT EXISTS ${DATABASE}.reply_details AS
      SELECT
        toDate(r.event_time, {tz:String}) AS day,
        r.agent AS agent,
        r.conversation_id AS conversation_id,
        r.message_id AS message_id,
        toTimeZone(r.event_time, {tz:String}) AS event_time,
        toTimeZone(r.received_at, {tz:String}) AS received_at,
        dateDiff('millisecond', r.event_time, r.received_at) AS delivery_latency_ms,
        r.response AS response,
        r.response_parts AS response_parts,
        r.response_chars AS response_chars,
        r.credits AS credits,
        r.remaining_credits AS remaining_credits,
        r.additional_context AS additional_context,
        r.source AS source,
        r.event_utc_offset_minutes AS event_utc_offset_minutes,
        r.signature_status AS signature_status
      FROM (
        SELECT * FROM ${REPLIES_TABLE} FINAL
        WHERE event_time >= parseDateTime64BestEffort({from:String}, 3, {tz:String})
          AND event_time < parseDateTime64BestEffort({to:String}, 3, {tz:String})
      ) AS r`,
      // Reply gap: time since the previous reply in the same conversation (within the range).
      // Credits used: see above; the agent's timeline spans the whole range, not just the day.
      `CREATE VIEW IF NOT EXISTS ${DATABASE}.daily_agent_summary AS
      SELECT
        day,
        agent,
        toUInt32(count()) AS replies,
        toUInt32(uniqExact(conversation_id)) AS conversations,
        round(replies / conversations, 3) AS replies_per_conversation,
        round(quantileExactInclusive(0.5)(delivery_latency_ms), 1) AS delivery_latency_p50_ms,
        round(quantileExactInclusive(0.95)(delivery_latency_ms), 1) AS delivery_latency_p95_ms,
        round(quantileExactInclusive(0.5)(reply_gap_ms), 1) AS reply_gap_p50_ms,
        argMin(remaining_credits, (event_time, message_id)) AS remaining_credits_start,
        argMax(remaining_credits, (event_time, message_id)) AS remaining_credits_end,
        min(remaining_credits) AS remaining_credits_min,
        -- Rounded to 6 decimals: differences of Float64 balances otherwise show as 29.399999999999636.
        round(sum(greatest(previous_remaining - remaining_credits, 0)), 6) AS credits_used,
        sum(credits) AS credits_charged
      FROM (
        SELECT *, dateDiff('millisecond', lagInFrame(toNullable(event_time)) OVER conversation, event_time) AS reply_gap_ms,
          lagInFrame(remaining_credits, 1, remaining_credits) OVER agent_timeline AS previous_remaining
        FROM ${DATABASE}.reply_details(tz = {tz:String}, from = {from:String}, to = {to:String})
        WINDOW conversation AS (PARTITION BY agent, conversation_id ORDER BY event_time, message_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
               agent_timeline AS (PARTITION BY agent ORDER BY event_time, received_at, message_id
                                  ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
      )
      GROUP BY day, agent`,
      `CREATE VIEW IF NOT EXISTS ${DATABASE}.conversation_summary AS
      SELECT
        agent,
        conversation_id,
        toUInt32(count()) AS replies,
        min(event_time) AS first_reply_at,
        max(event_time) AS last_reply_at,
        dateDiff('millisecond', first_reply_at, last_reply_at) AS duration_ms,
        round(quantileExactInclusive(0.5)(reply_gap_ms), 1) AS reply_gap_p50_ms,
        max(reply_gap_ms) AS reply_gap_max_ms,
        round(quantileExactInclusive(0.5)(delivery_latency_ms), 1) AS delivery_latency_p50_ms,
        argMax(remaining_credits, (event_time, message_id)) AS remaining_credits_end,
        sum(credits) AS credits_charged
      FROM (
        SELECT *, dateDiff('millisecond', lagInFrame(toNullable(event_time)) OVER conversation, event_time) AS reply_gap_ms
        FROM ${DATABASE}.reply_details(tz = {tz:String}, from = {from:String}, to = {to:String})
        WINDOW conversation AS (PARTITION BY agent, conversation_id ORDER BY event_time, message_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      )
      GROUP BY agent, conversation_id`,
      `CREATE VIEW IF NOT EXISTS ${DATABASE}.latency_percentiles AS
      SELECT
        agent,
        toUInt32(count()) AS replies,
        round(quantileExactInclusive(0.5)(delivery_latency_ms), 1) AS delivery_latency_p50_ms,
        round(quantileExactInclusive(0.9)(delivery_latency_ms), 1) AS delivery_latency_p90_ms,
        round(quantileExactInclusive(0.95)(delivery_latency_ms), 1) AS delivery_latency_p95_ms,
        round(quantileExactInclusive(0.99)(delivery_latency_ms), 1) AS delivery_latency_p99_ms,
        max(delivery_latency_ms) AS delivery_latency_max_ms,
        round(quantileExactInclusive(0.5)(reply_gap_ms), 1) AS reply_gap_p50_ms,
        round(quantileExactInclusive(0.9)(reply_gap_ms), 1) AS reply_gap_p90_ms
      FROM (
        SELECT *, dateDiff('millisecond', lagInFrame(toNullable(event_time)) OVER conversation, event_time) AS reply_gap_ms
        FROM ${DATABASE}.reply_details(tz = {tz:String}, from = {from:String}, to = {to:String})
        WINDOW conversation AS (PARTITION BY agent, conversation_id ORDER BY event_time, message_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      )
      GROUP BY agent`,
      // A top-up shows as remaining credits rising from one reply of the agent to the next; credits
      // used (see above) are the drops between the same pairs.
      `CREATE VIEW IF NOT EXISTS ${DATABASE}.credit_usage AS
      SELECT
        day,
        agent,
        toUInt32(count()) AS replies,
        argMin(remaining_credits, (event_time, message_id)) AS remaining_credits_start,
        argMax(remaining_credits, (event_time, message_id)) AS remaining_credits_end,
        min(remaining_credits) AS remaining_credits_min,
        max(remaining_credits) AS remaining_credits_max,
        remaining_credits_start - remaining_credits_end AS remaining_credits_drop,
        toUInt32(countIf(remaining_credits > previous_remaining)) AS top_ups,
        -- Rounded to 6 decimals: differences of Float64 balances otherwise show as 29.399999999999636.
        round(sum(greatest(previous_remaining - remaining_credits, 0)), 6) AS credits_used,
        sum(credits) AS credits_charged
      FROM (
        SELECT *, lagInFrame(remaining_credits, 1, remaining_credits) OVER agent_timeline AS previous_remaining
        FROM ${DATABASE}.reply_details(tz = {tz:String}, from = {from:String}, to = {to:String})
        WINDOW agent_timeline AS (PARTITION BY agent ORDER BY event_time, received_at, message_id
                                  ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
      )
      GROUP BY day, agent`,
    ],
  },
  {
    version: 3,
    name: 'daily latest remaining credits per agent',
    // Rollup for the dashboards' "Remaining credits" panel, whose answer (each agent's latest
    // balance) depends on all history, not just the selected range. One row per agent and UTC
    // day holding the day's latest balance and the key it was taken at.
    // argMax and max are idempotent: a row seen twice (a retried insert reaches the view even
    // when the table drops it as a duplicate, a duplicate the ReplacingMergeTree has not yet
    // collapsed, the backfill below overlapping the view) changes nothing, so the rollup agrees
    // with the table without FINAL. Counting aggregates would not (test/dashboards/rollup.test.ts).
    // The view is created before the backfill, so no row lands between the two unseen.
    statements: [
      `CREATE TABLE IF NOT EXISTS ${DATABASE}.credits_daily (
        agent LowCardinality(String),
        day Date COMMENT 'UTC day of event_time',
        latest_credits AggregateFunction(argMax, Float64, Tuple(DateTime64(3, 'UTC'), DateTime64(3, 'UTC'), String)),
        latest_at AggregateFunction(max, Tuple(DateTime64(3, 'UTC'), DateTime64(3, 'UTC'), String))
      )
      ENGINE = AggregatingMergeTree
      ORDER BY (agent, day)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${DATABASE}.credits_daily_mv TO ${DATABASE}.credits_daily AS
      SELECT agent, toDate(event_time) AS day,
        argMaxState(remaining_credits, (event_time, received_at, message_id)) AS latest_credits,
        maxState((event_time, received_at, message_id)) AS latest_at
      FROM ${REPLIES_TABLE}
      GROUP BY agent, day`,
      `INSERT INTO ${DATABASE}.credits_daily
      SELECT agent, toDate(event_time) AS day,
        argMaxState(remaining_credits, (event_time, received_at, message_id)),
        maxState((event_time, received_at, message_id))
      FROM ${REPLIES_TABLE}
      GROUP BY agent, day`,
    ],
  },
  {
    version: 4,
    name: 'five-minute rollup per agent for the dashboards',
    // Rollup for the dashboard panels that would otherwise read every reply in the range:
    // distinct conversations ("Conversations", "Replies per conversation", "Active conversations
    // over time"), the latest balance ("Remaining credits over time"), and the first balance and
    // the highest, which let "Projected run-out" see where the last top-up can be without a
    // window over the whole range. One row per agent and five minutes of event time (UTC,
    // aligned to the epoch like the plugin's $__timeInterval), so every Grafana interval that is
    // a multiple of five minutes is a whole number of rows; a panel reads the whole five minutes
    // inside its range here and the rest (the partial five minutes at each end, or everything
    // for a finer interval) from the table (dashboards/rollup-sql.ts).
    // Only idempotent aggregates, as in migration 3: uniqExact is a set of conversation ids;
    // first and latest are the min and max of (event_time, received_at, message_id, balance),
    // i.e. the balance at the first and last reply in "latest" order. A row seen twice (a
    // retried insert reaches the view although the table drops it; a duplicate the table has
    // not merged yet; the backfill overlapping the view) changes nothing. Reply counts are not
    // here for that reason; they are cheap to count on the table (test/dashboards/rollup-5m.test.ts).
    // min/max are SimpleAggregateFunction columns: plain values, so a panel reads them FINAL
    // without decoding aggregate states (for the run-out's scan of every five minutes, 50 ms
    // with argMin/argMax states at 1M replies, 6 ms this way).
    // The view is created before the backfill, so no row lands between the two unseen.
    statements: [
      `CREATE TABLE IF NOT EXISTS ${DATABASE}.replies_5m (
        agent LowCardinality(String),
        bucket DateTime('UTC') COMMENT 'start of the five minutes of event_time',
        conversations AggregateFunction(uniqExact, String),
        first SimpleAggregateFunction(min, Tuple(DateTime64(3, 'UTC'), DateTime64(3, 'UTC'), String, Float64))
          COMMENT 'the first reply: (event_time, received_at, message_id, remaining_credits)',
        latest SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), DateTime64(3, 'UTC'), String, Float64))
          COMMENT 'the latest reply: (event_time, received_at, message_id, remaining_credits)',
        highest SimpleAggregateFunction(max, Float64) COMMENT 'the highest remaining_credits'
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(bucket)
      ORDER BY (agent, bucket)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${DATABASE}.replies_5m_mv TO ${DATABASE}.replies_5m AS
      SELECT agent, toStartOfInterval(toDateTime(event_time), INTERVAL 300 second) AS bucket,
        uniqExactState(conversation_id) AS conversations,
        min((event_time, received_at, message_id, remaining_credits)) AS first,
        max((event_time, received_at, message_id, remaining_credits)) AS latest,
        max(remaining_credits) AS highest
      FROM ${REPLIES_TABLE}
      GROUP BY agent, bucket`,
      `INSERT INTO ${DATABASE}.replies_5m
      SELECT agent, toStartOfInterval(toDateTime(event_time), INTERVAL 300 second) AS bucket,
        uniqExactState(conversation_id),
        min((event_time, received_at, message_id, remaining_credits)),
        max((event_time, received_at, message_id, remaining_credits)),
        max(remaining_credits)
      FROM ${REPLIES_TABLE}
      GROUP BY agent, bucket`,
    ],
  },
  {
    version: 5,
    name: 'drop the daily credits rollup',
    // The daily rollup of migration 3 is redundant since migration 4: the five-minute rollup
    // keeps each agent's latest reply as the max of (event_time, received_at, message_id,
    // remaining_credits), the same order and the same idempotence (a max of tuples) as
    // migration 3's argMax, so the "Remaining credits" panel reads that instead
    // (dashboards/rollup-sql.ts, latestCreditsAsOfEnd). Every materialized view costs each
    // insert an extra part write (dashboards/README.md, "Insert cost"), so this one goes.
    // Migration 3 stays as it was: stores that ran it keep their record, and a fresh store
    // runs 3 and then this. The view goes first, so no insert meets a view without its table.
    statements: [`DROP VIEW IF EXISTS ${DATABASE}.credits_daily_mv`, `DROP TABLE IF EXISTS ${DATABASE}.credits_daily`],
  },
  {
    version: 6,
    name: 'applied settings',
    // Settings that change the schema when they change (RETENTION_DAYS, RAW_BODY_DAYS): the value
    // last applied, so that start-up alters the tables only when the setting differs
    // (store/retention.ts). The latest applied_at wins.
    statements: [
      `CREATE TABLE IF NOT EXISTS ${APPLIED_SETTINGS_TABLE} (
        name String,
        value String COMMENT 'empty: not set',
        applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(applied_at) ORDER BY name`,
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
