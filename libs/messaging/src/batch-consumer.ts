import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Registry } from 'prom-client';
import {
  continueTrace,
  errorCode,
  errorMessage,
  getOrCreateCounter,
  getOrCreateGauge,
  getOrCreateHistogram,
  isRetriable,
  type Logger,
  type TraceContext,
} from '@storeloop/observability';
import { decodeHeaders } from './headers';
import { HANDLER_FAILED, buildDeadLetter, deadLetterCause } from './dead-letter';
import type { TopicProducer } from './producer';
import type { TopicNamer } from './topic-namer';

export interface ConsumedMessage<T> {
  /** Physical topic the record came from. */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
  headers: Record<string, string>;
  timestamp: string;
  trace: TraceContext;
}

export interface BatchContext {
  /** Consumer group, for offsets committed inside a transaction. */
  groupId: string;
  topic: string;
  partition: number;
  /** Keeps group membership alive during long work. */
  heartbeat(): Promise<void>;
}

/** Turns raw bytes into a typed value, throwing a non-retriable error for bad input. */
export type MessageDecoder<T> = (message: KafkaMessage, topic: string) => T;

export type BatchHandler<T> = (messages: ConsumedMessage<T>[], context: BatchContext) => Promise<void>;

export interface RetryPolicy {
  /** Attempts after the first one for retriable errors; 0 dead-letters at the first failure. */
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, initialBackoffMs: 200, maxBackoffMs: 10_000, multiplier: 2 };

export interface BatchConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  /** Physical topic names. */
  topics: string[];
  decode: MessageDecoder<T>;
  handle: BatchHandler<T>;
  /** Where poison records go (physical name); the producer also gets the records' original bytes. */
  deadLetter: { producer: TopicProducer; topic: string };
  logger: Logger;
  registry?: Registry;
  retry?: Partial<RetryPolicy>;
  /** Largest slice of a fetched batch given to the handler at once. */
  maxHandlerBatch?: number;
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  partitionsConsumedConcurrently?: number;
  namer?: TopicNamer;
}

class ConsumerStopping extends Error {
  constructor() {
    super('consumer is stopping');
  }
}

/**
 * Runs a kafkajs consumer with `eachBatch`, giving the handler decoded slices of
 * one partition in offset order. Offsets are resolved only after a slice is
 * handled or dead-lettered, so a crash re-delivers rather than loses. Retriable
 * failures back off exponentially (heartbeating meanwhile); a failing slice is
 * then split so only the poison record is dead-lettered and the rest proceed.
 * Stop() lets the running slice finish and commits what was processed.
 */
export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly retry: RetryPolicy;
  private readonly maxHandlerBatch: number;
  private readonly metrics;
  private running = false;
  /** Original records behind decoded ones, so a dead letter carries the exact bytes received. */
  private readonly originals = new WeakMap<ConsumedMessage<T>, KafkaMessage>();

  constructor(private readonly options: BatchConsumerOptions<T>) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxHandlerBatch = options.maxHandlerBatch ?? 500;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: false,
    });
    const registry = options.registry;
    this.metrics = registry
      ? {
          processed: getOrCreateCounter(registry, {
            name: 'kafka_consumer_records_total',
            help: 'Records consumed, by outcome (handled, dead_lettered)',
            labelNames: ['group', 'topic', 'outcome'] as const,
          }),
          retries: getOrCreateCounter(registry, {
            name: 'kafka_consumer_retries_total',
            help: 'Handler retries after retriable errors',
            labelNames: ['group', 'topic'] as const,
          }),
          lag: getOrCreateGauge(registry, {
            name: 'kafka_consumer_lag',
            help: 'Records between the last processed offset and the partition high watermark',
            labelNames: ['group', 'topic', 'partition'] as const,
          }),
          duration: getOrCreateHistogram(registry, {
            name: 'kafka_consumer_handler_duration_seconds',
            help: 'Time to handle one slice of a batch',
            labelNames: ['group', 'topic'] as const,
            buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
          }),
        }
      : undefined;
  }

  get consumerGroup(): string {
    return this.options.groupId;
  }

  /** The underlying kafkajs consumer, for instrumentation events and seeks. */
  get raw(): Consumer {
    return this.consumer;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finishes the slice in progress, commits resolved offsets and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const active = () => this.running && isRunning() && !isStale();
    const context: BatchContext = { groupId: this.options.groupId, topic: batch.topic, partition: batch.partition, heartbeat };
    let slice: ConsumedMessage<T>[] = [];

    const flush = async () => {
      if (slice.length === 0) return;
      const current = slice;
      slice = [];
      await this.handleWithRetries(current, context, resolveOffset, active);
      this.updateLag(batch.topic, batch.partition, batch.highWatermark, current[current.length - 1].offset);
    };

    try {
      for (const message of batch.messages) {
        if (!active()) break;
        let decoded: ConsumedMessage<T>;
        try {
          decoded = this.decode(message, batch.topic, batch.partition);
        } catch (error) {
          // Records before the bad one go first so offsets stay in order.
          await flush();
          if (!active()) break;
          await this.deadLetter(message, batch.topic, batch.partition, error, 1);
          resolveOffset(message.offset);
          this.updateLag(batch.topic, batch.partition, batch.highWatermark, message.offset);
          continue;
        }
        slice.push(decoded);
        if (slice.length >= this.maxHandlerBatch) await flush();
      }
      if (active()) await flush();
    } catch (error) {
      if (error instanceof ConsumerStopping) return;
      throw error;
    }
  }

  private decode(message: KafkaMessage, topic: string, partition: number): ConsumedMessage<T> {
    const headers = decodeHeaders(message.headers);
    const consumed: ConsumedMessage<T> = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString('utf8') : null,
      value: this.options.decode(message, topic),
      headers,
      timestamp: message.timestamp,
      trace: continueTrace(headers, `${topic}/${partition}/${message.offset}`),
    };
    this.originals.set(consumed, message);
    return consumed;
  }

  private async handleWithRetries(
    messages: ConsumedMessage<T>[],
    context: BatchContext,
    resolveOffset: (offset: string) => void,
    active: () => boolean,
  ): Promise<void> {
    const labels = { group: this.options.groupId, topic: context.topic };
    for (let attempt = 0; ; attempt++) {
      const end = this.metrics?.duration.startTimer(labels);
      let failed = false;
      let error: unknown;
      try {
        await this.options.handle(messages, context);
      } catch (caught) {
        failed = true;
        error = caught;
      } finally {
        end?.();
      }
      if (!failed) {
        resolveOffset(messages[messages.length - 1].offset);
        this.metrics?.processed.inc({ ...labels, outcome: 'handled' }, messages.length);
        // Outside the handler's try: a rebalance seen here must not count as a handler failure.
        await context.heartbeat();
        return;
      }
      const retriable = isRetriable(error);
      if (retriable && attempt < this.retry.maxRetries) {
        this.metrics?.retries.inc(labels);
        const delay = Math.min(this.retry.initialBackoffMs * this.retry.multiplier ** attempt, this.retry.maxBackoffMs);
        this.options.logger.warn(
          { err: error, topic: context.topic, partition: context.partition, firstOffset: messages[0].offset, attempt: attempt + 1, delayMs: delay },
          'handler failed; retrying',
        );
        await this.backoff(delay, context, active);
        continue;
      }
      if (messages.length > 1) {
        // Isolate the poison record: every record gets its own attempts.
        for (const message of messages) {
          if (!active()) throw new ConsumerStopping();
          await this.handleWithRetries([message], context, resolveOffset, active);
        }
        return;
      }
      const [only] = messages;
      await this.deadLetterDecoded(only, error, attempt + 1);
      resolveOffset(only.offset);
      this.metrics?.processed.inc({ ...labels, outcome: 'dead_lettered' });
      return;
    }
  }

  /** Sleeps in heartbeat-sized steps so a long backoff neither loses the group nor delays shutdown. */
  private async backoff(delayMs: number, context: BatchContext, active: () => boolean): Promise<void> {
    const deadline = Date.now() + delayMs;
    while (Date.now() < deadline) {
      if (!active()) throw new ConsumerStopping();
      await sleep(Math.min(500, deadline - Date.now()));
      await context.heartbeat();
    }
    if (!active()) throw new ConsumerStopping();
  }

  private async deadLetterDecoded(message: ConsumedMessage<T>, error: unknown, attempts: number): Promise<void> {
    const raw = this.originals.get(message);
    if (!raw) throw new Error(`original bytes of ${message.topic}/${message.partition}@${message.offset} are missing`);
    await this.deadLetter(raw, message.topic, message.partition, error, attempts);
  }

  private async deadLetter(message: KafkaMessage, topic: string, partition: number, error: unknown, attempts: number): Promise<void> {
    const { producer, topic: dlqTopic } = this.options.deadLetter;
    const { code, reason } = deadLetterCause(errorCode(error, HANDLER_FAILED), errorMessage(error));
    const record = buildDeadLetter({
      message,
      sourceTopic: this.options.namer ? this.options.namer.logical(topic) : topic,
      partition,
      consumerGroup: this.options.groupId,
      code,
      reason,
      retriable: isRetriable(error),
      attempts,
    });
    await producer.sendMessages(dlqTopic, [record]);
    this.options.logger.error(
      { topic, partition, offset: message.offset, code, attempts, reason },
      'record dead-lettered',
    );
  }

  private updateLag(topic: string, partition: number, highWatermark: string, lastOffset: string): void {
    const lag = Number(BigInt(highWatermark) - BigInt(lastOffset) - 1n);
    this.metrics?.lag.set({ group: this.options.groupId, topic, partition: String(partition) }, Math.max(0, lag));
  }
}
