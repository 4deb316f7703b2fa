// What the publisher needs of a fast path to Kafka: send a group of envelopes with acks from
// all in-sync replicas, or fail fast so the publisher can use its local log instead.
import type { Kafka } from 'kafkajs';
import type { KafkaConfig } from '../../core/config.js';
import type { Envelope } from '../envelope.js';
import { DirectSender } from './direct-sender.js';

export interface KafkaSender {
  /** Learns the topic's partition leaders (again); one fetch at a time. */
  refresh(): Promise<void>;
  /**
   * Resolves once every partition leader acknowledged its records (acks=all). Envelopes with the
   * same key keep their relative order. Rejects on anything unusual; it does not retry.
   */
  send(envelopes: Envelope[]): Promise<void>;
  /** Drops every connection; the next send connects again, with fresh metadata. */
  close(): void;
}

/** The fast path: Produce requests of our own, on plaintext, TLS and SASL alike (BENCHMARKS.md, "Kafka sender"). */
export function createSender(kafka: Kafka, config: KafkaConfig): KafkaSender {
  return new DirectSender(kafka, config);
}
