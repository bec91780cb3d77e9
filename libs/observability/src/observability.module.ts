import { Module, type DynamicModule, type FactoryProvider, type ModuleMetadata } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { HEALTH_OPTIONS, HealthController, READINESS_PROBES, ShutdownState, type ReadinessProbe } from './health';
import { createLogger, loggerOptions } from './logger';
import { createMetricsRegistry } from './metrics';
import { HttpMetricsInterceptor, METRICS_REGISTRY, MetricsController } from './metrics.controller';

/** The service's pino logger, for code that logs outside a request (consumers, clients). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

export interface ObservabilityOptions {
  service: string;
  logLevel: string;
  probeTimeoutMs: number;
  /** `/health/live` fails once a Kafka consumer has shown no progress for this long (0: never). */
  stallTimeoutMs?: number;
  /** Builds the readiness probes from providers of global modules (Kafka, Redis...). */
  probes: Omit<FactoryProvider<ReadinessProbe[]>, 'provide'>;
  imports?: ModuleMetadata['imports'];
}

/**
 * JSON logs (pino), Prometheus `/metrics`, and `/health/live` + `/health/ready`
 * for one service. Global, so every module can inject the metrics registry.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        ...(options.imports ?? []),
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRoot({
          pinoHttp: {
            ...loggerOptions(options.service, options.logLevel),
            autoLogging: { ignore: (req) => Boolean(req.url?.startsWith('/health') || req.url === '/metrics') },
          },
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        ShutdownState,
        { provide: ROOT_LOGGER, useValue: createLogger(options.service, options.logLevel) },
        { provide: METRICS_REGISTRY, useValue: createMetricsRegistry(options.service) },
        { provide: HEALTH_OPTIONS, useValue: { probeTimeoutMs: options.probeTimeoutMs, stallTimeoutMs: options.stallTimeoutMs ?? 0 } },
        { provide: READINESS_PROBES, ...options.probes },
        { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
      ],
      exports: [METRICS_REGISTRY, ROOT_LOGGER, ShutdownState, READINESS_PROBES],
    };
  }
}
