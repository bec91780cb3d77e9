import type { INestApplication, DynamicModule, NestApplicationOptions } from '@nestjs/common';
import { METRICS_REGISTRY, ROOT_LOGGER, runMain, startService, type Logger } from '@storeloop/observability';
import {
  KAFKA,
  KafkaBatchTransport,
  TopicNamer,
  TopicProducer,
  type MessageDecoder,
  type RetryPolicy,
} from '@storeloop/messaging';
import { TOPICS } from '@storeloop/contracts';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { loadPlatformConfig, type PlatformConfig } from './platform.module';

export interface BatchConsumerSpec {
  groupId: string;
  decoders: Record<string, MessageDecoder<unknown>>;
  retry?: Partial<RetryPolicy>;
  maxHandlerBatch?: number;
}

/**
 * Attaches the Kafka batch transport to a Nest app: handlers declared with
 * `@EventPattern(topic)` receive decoded batches; poison records go to the DLQ.
 */
export function connectBatchConsumer(app: INestApplication, spec: BatchConsumerSpec): KafkaBatchTransport {
  const namer = app.get(TopicNamer);
  const transport = new KafkaBatchTransport({
    kafka: app.get<Kafka>(KAFKA),
    groupId: spec.groupId,
    namer,
    deadLetter: { producer: app.get(TopicProducer), topic: namer.physical(TOPICS.deadLetters.name) },
    decoders: spec.decoders,
    logger: app.get<Logger>(ROOT_LOGGER),
    registry: app.get<Registry>(METRICS_REGISTRY),
    retry: spec.retry,
    maxHandlerBatch: spec.maxHandlerBatch,
  });
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  return transport;
}

export interface PlatformServiceOptions<C extends PlatformConfig> {
  service: string;
  loadConfig?: () => C;
  createModule: (config: C) => DynamicModule;
  beforeListen?: (app: INestApplication, config: C) => Promise<void> | void;
  nestOptions?: NestApplicationOptions;
}

/** Entry point shared by the services: validated config, Nest app, graceful shutdown. */
export function runPlatformService<C extends PlatformConfig>(options: PlatformServiceOptions<C>): void {
  runMain(options.service, () =>
    startService<C>({
      service: options.service,
      loadConfig: options.loadConfig ?? (() => loadPlatformConfig() as C),
      createModule: options.createModule,
      http: (config) => ({ host: config.http.HOST, port: config.http.PORT, shutdownTimeoutMs: config.http.SHUTDOWN_TIMEOUT_MS }),
      beforeListen: options.beforeListen,
      nestOptions: options.nestOptions,
    }),
  );
}
