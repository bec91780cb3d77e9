import type { INestApplication, DynamicModule, NestApplicationOptions } from '@nestjs/common';
import { ConfigError, METRICS_REGISTRY, ROOT_LOGGER, runMain, startService, type Logger } from '@storeloop/observability';
import {
  KAFKA,
  KafkaBatchTransport,
  TopicNamer,
  TopicProducer,
  type HandlerFailurePolicy,
  type MessageDecoder,
  type RetryPolicy,
} from '@storeloop/messaging';
import { TOPICS } from '@storeloop/contracts';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { loadPlatformConfig, type PlatformConfig } from './platform.module';
import { applyHttpHardening, loadHttpSecuritySettings, type HttpSecuritySettings } from './security/http-hardening';

export interface BatchConsumerSpec {
  groupId: string;
  decoders: Record<string, MessageDecoder<unknown>>;
  retry?: Partial<RetryPolicy>;
  maxHandlerBatch?: number;
  /** Where each partition resumes after an assignment (see `BatchConsumerOptions.resume`). */
  resume?: (topic: string, partition: number) => Promise<string>;
  sessionTimeoutMs?: number;
  /** See `BatchConsumerOptions.onHandlerFailure`. */
  onHandlerFailure?: HandlerFailurePolicy;
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
    resume: spec.resume,
    sessionTimeoutMs: spec.sessionTimeoutMs,
    onHandlerFailure: spec.onHandlerFailure,
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

/**
 * The service's configuration and the HTTP security settings every service
 * shares, parsed from one environment: a refusal names the bad variables of both.
 */
export function loadServiceConfig<C>(load: () => C, source: Record<string, string | undefined> = process.env): { service: C; httpSecurity: HttpSecuritySettings } {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const service = attempt(load);
  const httpSecurity = attempt(() => loadHttpSecuritySettings(source));
  if (problems.length > 0) throw new ConfigError(problems);
  return { service: service as C, httpSecurity: httpSecurity as HttpSecuritySettings };
}

/**
 * Entry point shared by the services: validated config, Nest app with the
 * security headers and CORS policy on every answer, graceful shutdown.
 */
export function runPlatformService<C extends PlatformConfig>(options: PlatformServiceOptions<C>): void {
  const load = options.loadConfig ?? (() => loadPlatformConfig() as C);
  runMain(options.service, () =>
    startService({
      service: options.service,
      loadConfig: () => loadServiceConfig(load),
      createModule: ({ service }) => options.createModule(service),
      http: ({ service }) => ({ host: service.http.HOST, port: service.http.PORT, shutdownTimeoutMs: service.http.SHUTDOWN_TIMEOUT_MS }),
      configureHttp: (app, { httpSecurity }) => applyHttpHardening(app, httpSecurity),
      beforeListen: options.beforeListen ? (app, { service }) => options.beforeListen?.(app, service) : undefined,
      nestOptions: options.nestOptions,
    }),
  );
}
