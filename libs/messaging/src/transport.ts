import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom, isObservable } from 'rxjs';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Logger } from '@storeloop/observability';
import { BatchConsumer, type BatchContext, type ConsumedMessage, type HandlerFailurePolicy, type MessageDecoder, type RetryPolicy } from './batch-consumer';
import type { TopicProducer } from './producer';
import type { TopicNamer } from './topic-namer';

export interface KafkaBatchTransportOptions {
  kafka: Kafka;
  groupId: string;
  namer: TopicNamer;
  deadLetter: { producer: TopicProducer; topic: string };
  /** Decoder per logical topic; topics without one get the fallback. */
  decoders: Record<string, MessageDecoder<unknown>>;
  logger: Logger;
  registry?: Registry;
  retry?: Partial<RetryPolicy>;
  maxHandlerBatch?: number;
  fromBeginning?: boolean;
  /** Where each partition resumes after an assignment (see `BatchConsumerOptions.resume`). */
  resume?: (topic: string, partition: number) => Promise<string>;
  sessionTimeoutMs?: number;
  /** See `BatchConsumerOptions.onHandlerFailure`. */
  onHandlerFailure?: HandlerFailurePolicy;
}

/**
 * A Nest microservice transport over the batch consumer: handlers are declared
 * with `@EventPattern(topicName)` and receive `(messages, context)` — a decoded
 * slice of one partition — instead of one message at a time.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private consumer?: BatchConsumer<unknown>;

  constructor(private readonly options: KafkaBatchTransportOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    const logicalTopics = [...this.messageHandlers.keys()];
    if (logicalTopics.length === 0) {
      callback();
      return;
    }
    const { namer } = this.options;
    this.consumer = new BatchConsumer<unknown>({
      kafka: this.options.kafka,
      groupId: this.options.groupId,
      topics: logicalTopics.map((t) => namer.physical(t)),
      namer,
      decode: (message, topic) => {
        const decoder = this.options.decoders[namer.logical(topic)];
        if (!decoder) throw new Error(`no decoder for topic ${topic}`);
        return decoder(message, topic);
      },
      handle: (messages, context) => this.dispatch(messages, context),
      deadLetter: this.options.deadLetter,
      logger: this.options.logger,
      registry: this.options.registry,
      retry: this.options.retry,
      maxHandlerBatch: this.options.maxHandlerBatch,
      fromBeginning: this.options.fromBeginning,
      resume: this.options.resume,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      onHandlerFailure: this.options.onHandlerFailure,
    });
    try {
      await this.consumer.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): never {
    throw new Error('KafkaBatchTransport emits no events; use the kafkajs consumer instrumentation events');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('KafkaBatchTransport is not listening yet');
    return this.consumer.raw as T;
  }

  private async dispatch(messages: ConsumedMessage<unknown>[], context: BatchContext): Promise<void> {
    const logical = this.options.namer.logical(context.topic);
    const handler = this.getHandlerByPattern(logical);
    if (!handler) throw new Error(`no @EventPattern handler for ${logical}`);
    const result = await handler(messages, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }
}
