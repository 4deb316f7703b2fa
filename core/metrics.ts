// Prometheus metrics of the whole process, on one registry per pipeline instance
// (not prom-client's global one, so tests can build several side by side).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requests: Counter<'route' | 'outcome'>;
  signatureFailures: Counter<'agent' | 'reason'>;
  published: Counter<'kind'>;
  queueBacklog: Gauge;
  batchRows: Histogram;
  insertSeconds: Histogram<'table'>;
  storedRows: Counter<'table'>;
  duplicatesSkipped: Counter;
  deadLetters: Counter<'reason'>;
  storeFailures: Counter;
  kafkaFallbackActive: Gauge;
  kafkaFallbackBacklog: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'aksita_webhook_requests_total', help: 'Webhook requests by route and outcome (accepted or an error code).', labelNames: ['route', 'outcome'], registers }),
    signatureFailures: new Counter({ name: 'aksita_signature_failures_total', help: 'Requests refused because the signature was missing or wrong.', labelNames: ['agent', 'reason'], registers }),
    published: new Counter({ name: 'aksita_events_published_total', help: 'Events made durable on the queue, by kind (reply or dead_letter).', labelNames: ['kind'], registers }),
    queueBacklog: new Gauge({ name: 'aksita_queue_backlog_events', help: 'Events on the queue not yet stored.', registers }),
    batchRows: new Histogram({ name: 'aksita_consumer_batch_rows', help: 'Events per batch handed to the store.', buckets: [1, 10, 100, 1000, 5000, 10000, 20000, 50000, 100000], registers }),
    insertSeconds: new Histogram({
      name: 'aksita_store_insert_seconds',
      help: 'Time of one insert into the store.',
      labelNames: ['table'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    storedRows: new Counter({ name: 'aksita_stored_rows_total', help: 'Rows inserted into the store, by table.', labelNames: ['table'], registers }),
    duplicatesSkipped: new Counter({ name: 'aksita_duplicates_skipped_total', help: 'Replies not inserted because the same (agent, message_id) was already stored.', registers }),
    deadLetters: new Counter({ name: 'aksita_dead_letters_total', help: 'Authenticated payloads kept in the dead-letter table, by reason code.', labelNames: ['reason'], registers }),
    storeFailures: new Counter({ name: 'aksita_store_failures_total', help: 'Failed store calls (each is retried).', registers }),
    kafkaFallbackActive: new Gauge({ name: 'aksita_kafka_fallback_active', help: '1 while ingest writes to the local fallback log because Kafka did not acknowledge in time.', registers }),
    kafkaFallbackBacklog: new Gauge({ name: 'aksita_kafka_fallback_backlog_events', help: 'Events in the local fallback log not yet forwarded to Kafka.', registers }),
  };
}
