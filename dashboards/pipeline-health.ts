// Pipeline health: is everything we accepted stored, what failed validation, and how much
// traffic is unsigned.
import { thresholds, type DashboardDef } from './panel-def.js';
import { DEAD_LETTERS, FILL_BUCKETS, inRange, REPLIES } from './sql.js';

// Everything ingest answered 2xx to ends up in one of the two tables: a reply, or a dead letter
// (signed but invalid). Requests refused with 401 (missing or wrong signature) are never
// queued, so no table holds them; /metrics counts them (aksita_signature_failures_total).
const ACCEPTED = `SELECT signature_status FROM ${REPLIES} WHERE ${inRange('received_at')}
  UNION ALL SELECT signature_status FROM ${DEAD_LETTERS} WHERE ${inRange('received_at')}`;

const NOT_STORED_NOTE =
  'Signature failures are not in this panel: a request with a missing or wrong signature is refused (401) before it is queued, so the store never sees it. Count them with the Prometheus counter aksita_signature_failures_total on /metrics.';

export const pipelineHealth: DashboardDef = {
  id: 'pipeline-health',
  uid: 'aksita-pipeline-health',
  title: 'Aksita · Pipeline health',
  description: 'Accepted vs stored, dead letters, signature status and values the spec says cannot happen.',
  from: 'now-24h',
  panels: [
    {
      id: 'accepted',
      kind: 'stat',
      title: 'Accepted events',
      description: 'Webhooks received in the range and stored, as replies or dead letters. Events still on the queue appear once stored.',
      sql: `SELECT count() AS accepted FROM (${ACCEPTED})`,
      unit: 'short',
      w: 6,
      h: 4,
    },
    {
      id: 'dead-letters',
      kind: 'stat',
      title: 'Dead letters',
      description: 'Signed payloads received in the range that failed validation, kept raw for replay. Anything above 0 needs a look.',
      sql: `SELECT count() AS dead_letters FROM ${DEAD_LETTERS} WHERE ${inRange('received_at')}`,
      unit: 'short',
      w: 6,
      h: 4,
      thresholds: thresholds('green', [[1, 'red']]),
    },
    {
      id: 'unsigned-share',
      kind: 'stat',
      title: 'Unsigned share',
      description: `Share of accepted events with signature_status = 'unsigned' (no secret configured for the agent). ${NOT_STORED_NOTE}`,
      sql: `SELECT countIf(signature_status = 'unsigned') / nullIf(count(), 0) AS unsigned_share FROM (${ACCEPTED})`,
      unit: 'percentunit',
      w: 6,
      h: 4,
      decimals: 1,
    },
    {
      id: 'spec-deviations',
      kind: 'stat',
      title: 'Spec deviations',
      description: "Replies in the range whose credits is not 0 or whose source is not 'human_agent' (the spec says both are constant). Stored as sent; see the table below.",
      sql: `SELECT countIf(credits != 0 OR source != 'human_agent') AS deviations FROM ${REPLIES} WHERE ${inRange()}`,
      unit: 'short',
      w: 6,
      h: 4,
    },
    {
      id: 'accepted-vs-stored',
      kind: 'timeseries',
      title: 'Accepted vs stored rate',
      description:
        'Events per second by receipt time (accepted: ingest answered 2xx) and by insert time (stored), replies and dead letters together. The store only knows accepted events once they are stored, so a gap shows as stored lagging behind accepted and then catching up; the live backlog is aksita_queue_backlog_events on /metrics.',
      sql: `SELECT time, sum(accepted) / $__interval_s AS accepted, sum(stored) / $__interval_s AS stored
FROM (
  SELECT $__timeInterval(received_at) AS time, count() AS accepted, 0 AS stored FROM ${REPLIES} WHERE ${inRange('received_at')} GROUP BY time
  UNION ALL SELECT $__timeInterval(received_at) AS time, count(), 0 FROM ${DEAD_LETTERS} WHERE ${inRange('received_at')} GROUP BY time
  UNION ALL SELECT $__timeInterval(stored_at) AS time, 0, count() FROM ${REPLIES} WHERE ${inRange('stored_at')} GROUP BY time
  UNION ALL SELECT $__timeInterval(stored_at) AS time, 0, count() FROM ${DEAD_LETTERS} WHERE ${inRange('stored_at')} GROUP BY time
)
GROUP BY time
${FILL_BUCKETS}`,
      unit: 'short',
      w: 24,
      axisLabel: 'events / s',
    },
    {
      id: 'dead-letters-by-reason',
      kind: 'timeseries',
      title: 'Dead letters by reason',
      description: 'Dead letters per interval of receipt time, one series per reason code (malformed_json, invalid_payload, …).',
      sql: `SELECT $__timeInterval(received_at) AS time, reason_code, count() AS dead_letters
FROM ${DEAD_LETTERS}
WHERE ${inRange('received_at')}
GROUP BY time, reason_code
ORDER BY time, reason_code`,
      unit: 'short',
      seriesBy: 'reason_code',
      bars: true,
      stacked: true,
    },
    {
      id: 'dead-letter-reasons',
      kind: 'table',
      title: 'Dead letter reasons',
      description: 'Dead letters in the range per reason code, when the last one arrived and its full reason text. Replay them once the schema is fixed.',
      sql: `SELECT reason_code, count() AS dead_letters, max(received_at) AS last_received, argMax(reason, (received_at, queue_offset)) AS latest_reason
FROM ${DEAD_LETTERS}
WHERE ${inRange('received_at')}
GROUP BY reason_code
ORDER BY dead_letters DESC, reason_code`,
      unit: 'short',
      columns: { reason_code: 'Reason', dead_letters: 'Dead letters', last_received: 'Last received', latest_reason: 'Latest reason text' },
    },
    {
      id: 'signature-status',
      kind: 'table',
      title: 'Signature status of accepted events',
      description: `Accepted events (replies and dead letters) by signature_status: valid or unsigned. ${NOT_STORED_NOTE}`,
      sql: `SELECT signature_status, count() AS events, events / sum(events) OVER () AS share
FROM (${ACCEPTED})
GROUP BY signature_status
ORDER BY signature_status`,
      unit: 'short',
      columns: { signature_status: 'Signature', events: 'Events', share: { title: 'Share', unit: 'percentunit' } },
    },
    {
      id: 'spec-deviations-by-kind',
      kind: 'table',
      title: 'Spec deviations by kind',
      description: "How many replies in the range broke each 'always' of the spec. Promise 5 of the design: recorded and counted, never rejected.",
      sql: `SELECT kind, replies
FROM (
  SELECT [('credits is not 0', countIf(credits != 0)), ('source is not human_agent', countIf(source != 'human_agent'))] AS counts
  FROM ${REPLIES}
  WHERE ${inRange()}
)
ARRAY JOIN counts.1 AS kind, counts.2 AS replies`,
      unit: 'short',
      columns: { kind: 'Deviation', replies: 'Replies' },
    },
  ],
};
