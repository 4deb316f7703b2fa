// Publishes envelopes to Kafka with acks from all in-sync replicas, coalescing concurrent
// requests into one send (one send in flight at a time, which also keeps per-conversation
// order). Direct sends take the fast path of kafka-sender/. If Kafka cannot
// acknowledge within the budget, or answers anything but success, the events go to a local
// durable log instead and the request still gets its 2xx; a forwarder (kafka-forwarder.ts)
// drains that log to Kafka in order once Kafka is back (ARCHITECTURE.md, promises). While anything waits in the local log, new events queue behind
// it so they cannot overtake older ones.
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { withTimeout } from '../core/with-timeout.js';
import type { EmbeddedLog } from './embedded-log.js';
import type { Envelope } from './envelope.js';
import { FallbackForwarder } from './kafka-forwarder.js';
import { prepareTopic } from './kafka-topic.js';
import { createSender, type KafkaSender } from './kafka-sender/kafka-sender.js';
import type { Publisher } from './publisher.js';

interface Pending {
  envelope: Envelope;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Bytes per send: a direct send counts bodies with an allowance for each record's key and
 * headers; forwarding counts records as the local log stores them (body and metadata). The
 * broker refuses a partition's record batch over its message.max.bytes (1 MiB by default), and
 * after a stall the waiting requests could add up to more than that.
 */
const SEND_BYTES = 512 * 1024;
const RECORD_ALLOWANCE = 256;

/** How many of the first items fit in `limit` (at least one). */
function prefixWithin<T>(items: T[], size: (item: T) => number, limit: number): number {
  let total = 0;
  let n = 0;
  while (n < items.length && (n === 0 || total + size(items[n]!) <= limit)) total += size(items[n++]!);
  return n;
}

export class KafkaPublisher implements Publisher {
  private readonly direct: KafkaSender;
  private mode: 'direct' | 'fallback' = 'fallback';
  private pending: Pending[] = [];
  private sending: Promise<void> | undefined;
  private fallbackAppends = 0;
  private forwarding: Promise<void> | undefined;
  private topicReady = false;
  private readonly forwarder: FallbackForwarder;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaConfig,
    private readonly fallback: EmbeddedLog,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.direct = createSender(kafka, config);
    this.forwarder = new FallbackForwarder(
      kafka,
      config,
      fallback,
      logger,
      metrics,
      {
        ensureTopic: () => this.ensureTopic(),
        // Drained only when no append to the local log is under way either.
        isDrained: () => this.fallbackAppends === 0 && fallback.backlog === 0,
        onDrained: () => this.setMode('direct'),
      },
      SEND_BYTES,
    );
  }

  /** Connects (within the publish budget) and starts in direct mode, or in fallback mode if Kafka is not there. */
  async start(): Promise<void> {
    if (this.fallback.backlog === 0) {
      try {
        await withTimeout(this.prepare(), this.config.publishTimeoutMs * 5, 'connecting to Kafka');
        this.setMode('direct');
        return;
      } catch (err) {
        // Kafka answered, and refused the topic, the credentials or the certificates: the settings must change.
        if (isAppError(err, 'config_invalid')) throw err;
        this.logger.warn({ err }, 'Kafka is not reachable at start-up: accepting into the local fallback log');
      }
    }
    this.setMode('fallback');
  }

  /** Creates the topic if needed, checks it takes the largest body, and learns its partition leaders for direct sends. */
  private async prepare(): Promise<void> {
    await prepareTopic(this.kafka, this.config, { sizeCheck: true });
    this.topicReady = true;
    await this.direct.refresh();
  }

  private async ensureTopic(): Promise<void> {
    if (!this.topicReady) await prepareTopic(this.kafka, this.config);
    this.topicReady = true;
  }

  get ready(): boolean {
    return this.fallback.healthy;
  }

  describe(): Record<string, unknown> {
    return { kafka: this.mode === 'direct' ? 'connected' : 'fallback', fallbackBacklog: this.fallback.backlog };
  }

  publish(envelope: Envelope): Promise<void> {
    if (this.mode === 'fallback') return this.toFallback([envelope]);
    return new Promise((resolve, reject) => {
      this.pending.push({ envelope, resolve, reject });
      this.sending ??= this.sendLoop();
    });
  }

  private async sendLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.takeGroup();
        if (this.mode === 'fallback') {
          await this.settle(group, this.toFallback(group.map((p) => p.envelope)));
          continue;
        }
        const send = this.direct.send(group.map((p) => p.envelope));
        try {
          await withTimeout(send, this.config.publishTimeoutMs, 'Kafka acknowledgement');
          group.forEach((p) => p.resolve());
        } catch (err) {
          send.catch(() => undefined); // abandoned; it may still land, and storage deduplicates
          this.direct.close(); // connections and metadata start afresh once Kafka takes events directly again
          this.logger.warn({ err: (err as Error).message, events: group.length }, 'Kafka did not acknowledge (timed out or refused): using the local fallback log');
          this.setMode('fallback');
          await this.settle(group, this.toFallback(group.map((p) => p.envelope)));
        }
      }
    } finally {
      // In the same turn as the last look at `pending` (a .finally() on the promise runs later): a
      // publish in between would add its request for a loop that has already ended, and wait forever.
      this.sending = undefined;
    }
  }

  /** The oldest waiting requests, up to SEND_BYTES (at least one). */
  private takeGroup(): Pending[] {
    return this.pending.splice(
      0,
      prefixWithin(this.pending, (p) => p.envelope.body.length + RECORD_ALLOWANCE, SEND_BYTES),
    );
  }

  private async settle(group: Pending[], done: Promise<void>): Promise<void> {
    try {
      await done;
      group.forEach((p) => p.resolve());
    } catch (err) {
      group.forEach((p) => p.reject(err));
    }
  }

  private async toFallback(envelopes: Envelope[]): Promise<void> {
    this.fallbackAppends += 1;
    try {
      await Promise.all(envelopes.map((e) => this.fallback.append(e)));
    } finally {
      this.fallbackAppends -= 1;
      this.metrics?.kafkaFallbackBacklog.set(this.fallback.backlog);
    }
  }

  private setMode(mode: 'direct' | 'fallback'): void {
    this.mode = mode;
    this.metrics?.kafkaFallbackActive.set(mode === 'fallback' ? 1 : 0);
    // Direct mode has no forwarder: the one that drained the log is ending (it called this), and a
    // direct send failing from now on needs a new one. In the same turn as the switch.
    if (mode === 'direct') this.forwarding = undefined;
    if (mode === 'fallback' && !this.forwarding) {
      const forwarding: Promise<void> = this.forwarder.run().finally(() => {
        if (this.forwarding === forwarding) this.forwarding = undefined;
      });
      this.forwarding = forwarding;
    }
  }

  /** Flushes in-flight sends, stops forwarding (the rest stays durable in the local log), disconnects. */
  async close(): Promise<void> {
    await this.sending;
    this.forwarder.stop();
    await this.forwarding;
    this.direct.close();
    await this.forwarder.disconnect();
  }
}
