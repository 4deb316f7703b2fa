// Forwards what the local fallback log holds to Kafka, in order, with kafkajs's producer (which
// retries and follows moved leaders), once Kafka is back; the publisher (kafka-publisher.ts)
// starts it when it falls back and is told when the log is drained.
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { retryUntilDone } from '../core/retry.js';
import { withTimeout } from '../core/with-timeout.js';
import type { EmbeddedLog } from './embedded-log.js';
import { securityProblem } from './kafka-security-errors.js';
import { toKafkaMessage } from './kafka-message.js';
import { javaCompatiblePartitioner } from './kafka-partitioner.js';

const FORWARD_BATCH = 1_000;

export interface ForwarderHooks {
  /** Creates the topic unless the publisher already did. */
  ensureTopic: () => Promise<void>;
  /** The log is empty and nothing is being appended to it. */
  isDrained: () => boolean;
  /** Called once the log is drained, just before this forwarder ends. */
  onDrained: () => void;
}

export class FallbackForwarder {
  private readonly producer: Producer;
  /** kafkajs's producer is connected only while it forwards: each kafkajs connection runs a 1 ms timer loop, busy or idle (kafkajs#1556, #1704). */
  private producerState: Promise<'connected' | 'disconnected'> = Promise.resolve('disconnected');
  private readonly abort = new AbortController();

  /** @param sendBytes the most bytes, as the log stores them, in one send (see kafka-publisher.ts). */
  constructor(
    kafka: Kafka,
    private readonly config: KafkaConfig,
    private readonly fallback: EmbeddedLog,
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly hooks: ForwarderHooks,
    private readonly sendBytes: number,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: javaCompatiblePartitioner });
  }

  private async connect(): Promise<void> {
    const state = this.producerState.then(async (s) => {
      if (s === 'disconnected') await this.producer.connect();
      return 'connected' as const;
    });
    this.producerState = state.catch(() => 'disconnected' as const);
    // Credentials or certificates that stopped working (rotated?) are said as such, not as an outage.
    await state.catch(async (err: unknown) => {
      throw (await securityProblem(err, this.config)) ?? err;
    });
    await this.hooks.ensureTopic();
  }

  /** Disconnects the producer once what it is doing is over. */
  disconnect(): Promise<void> {
    this.producerState = this.producerState.then(async () => {
      await this.producer.disconnect().catch(() => undefined);
      return 'disconnected' as const;
    });
    return this.producerState.then(() => undefined);
  }

  /** Drains the fallback log to Kafka in order; switches back to direct sends once it is empty. */
  async run(): Promise<void> {
    const signal = this.abort.signal;
    try {
      while (!signal.aborted) {
        await retryUntilDone(() => this.connect(), { signal, onError: (err) => this.logUnreachable(err) });
        // At most sendBytes as stored (bodies and their metadata), so one send fits the broker's limit.
        const batch = await this.fallback.read(FORWARD_BATCH, this.sendBytes);
        if (batch.length === 0) {
          if (this.hooks.isDrained()) {
            this.logger.info('local fallback log drained to Kafka: publishing directly again');
            this.hooks.onDrained();
            // Not awaited: this forwarder must be over before a new fallback needs one.
            void this.disconnect();
            return;
          }
          await this.fallback.waitForData(1_000, signal);
          continue;
        }
        // Keep the batch until Kafka takes it: the log's read cursor has moved past it.
        const send = () => this.producer.send({ topic: this.config.topic, acks: -1, messages: batch.map((q) => toKafkaMessage(q.envelope)) });
        await retryUntilDone(() => withTimeout(send(), 15_000, 'forwarding to Kafka'), {
          signal,
          onError: (err) => this.logger.warn({ err: (err as Error).message, backlog: this.fallback.backlog }, 'forwarding to Kafka failed; retrying'),
        });
        await this.fallback.commit(batch.at(-1)!.offset + 1);
        this.metrics?.kafkaFallbackBacklog.set(this.fallback.backlog);
      }
    } catch (err) {
      // Stopping ends the retries with their last error: the rest stays durable in the local log.
      if (signal.aborted) return;
      // The fallback log itself failed (damaged or unwritable): nothing more can be forwarded.
      this.logger.error({ err }, 'the local fallback log cannot be read; forwarding stopped');
    }
  }

  private logUnreachable(err: unknown): void {
    if (isAppError(err, 'config_invalid')) {
      this.logger.error({ err: err.message, backlog: this.fallback.backlog }, 'Kafka refuses the settings (topic, credentials or TLS): events stay in the local fallback log until they are fixed');
    } else {
      this.logger.warn({ err: (err as Error).message, backlog: this.fallback.backlog }, 'Kafka is still unreachable');
    }
  }

  /** Ends run() (the rest stays durable in the local log). */
  stop(): void {
    this.abort.abort();
  }
}
