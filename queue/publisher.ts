// What ingest needs from the queue: make one envelope durable, or fail.
import type { EmbeddedLog } from './embedded-log.js';
import type { Envelope } from './envelope.js';

export interface Publisher {
  /** Resolves only once the envelope is durable (fsync'd, or acknowledged by all in-sync replicas). */
  publish(envelope: Envelope): Promise<void>;
  /** False when publishing is known to fail (for /readyz). */
  readonly ready: boolean;
  /** Extra state for /readyz, e.g. whether Kafka or the fallback log takes events. */
  describe?(): Record<string, unknown>;
  close(): Promise<void>;
}

export function embeddedPublisher(log: EmbeddedLog): Publisher {
  return {
    publish: async (envelope) => {
      await log.append(envelope);
    },
    get ready() {
      return log.healthy;
    },
    close: async () => {},
  };
}
