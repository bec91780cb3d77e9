import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { httpConfigSchema, ObservabilityModule, ROOT_LOGGER, parseEnvGroups, type Logger, type ReadinessProbe } from '@storeloop/observability';
import { ProblemFilter } from './http/problem';
import { KAFKA, KafkaModule, kafkaConfigSchema, kafkaReadinessProbe, type TopicSpec } from '@storeloop/messaging';
import { REDIS, RedisModule, redisConfigSchema, redisReadinessProbe, type RedisClient } from '@storeloop/feature-store';
import type { Kafka } from 'kafkajs';

/** The configuration every service reads: HTTP server, Kafka and Redis. */
export const platformConfigGroups = {
  http: httpConfigSchema,
  kafka: kafkaConfigSchema,
  redis: redisConfigSchema,
};

export type PlatformConfig = ReturnType<typeof loadPlatformConfig>;

export function loadPlatformConfig(source: Record<string, string | undefined> = process.env) {
  return parseEnvGroups(platformConfigGroups, source);
}

export interface PlatformOptions {
  service: string;
  config: PlatformConfig;
  /** Topics this service provisions at start (default: the whole registry). */
  topics?: readonly TopicSpec[];
  /**
   * False for a service that keeps serving while Kafka is away (inference:
   * impressions go to its spool): /health/ready then reports Kafka's state
   * without turning 503 over it. Default true.
   */
  kafkaGatesReadiness?: boolean;
}

/**
 * A probe that never gates readiness, with its own deadline (the health
 * endpoint's timeout would count a slow answer as down): a failure or a late
 * answer becomes what `onFailure` returns, or fails readiness if it throws.
 */
export function nonGatingProbe(probe: ReadinessProbe, timeoutMs: number, onFailure: (message: string) => Record<string, unknown>): ReadinessProbe {
  return {
    name: probe.name,
    async check() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      });
      try {
        return { ...(await Promise.race([probe.check(), deadline])), gatesReadiness: false };
      } catch (error) {
        return { ...onFailure((error as Error)?.message ?? String(error)), gatesReadiness: false };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The Kafka probe for a service that does not need Kafka to answer: it reports, it never fails. */
export function informationalProbe(probe: ReadinessProbe, timeoutMs: number): ReadinessProbe {
  return nonGatingProbe(probe, timeoutMs, (error) => ({ reachable: false, error }));
}

/**
 * What every Storeloop service shares: JSON logs, /metrics, /health/live and
 * /health/ready (Kafka and Redis probed with timeouts), a Kafka client with an
 * idempotent producer and topic provisioning, and a Redis client.
 */
@Module({})
export class PlatformModule {
  static forService(options: PlatformOptions): DynamicModule {
    const { service, config } = options;
    return {
      module: PlatformModule,
      imports: [
        ObservabilityModule.forRoot({
          service,
          logLevel: config.http.LOG_LEVEL,
          probeTimeoutMs: config.http.HEALTH_CHECK_TIMEOUT_MS,
          stallTimeoutMs: config.http.HEALTH_CONSUMER_STALL_MS,
          probes: {
            inject: [KAFKA, REDIS],
            useFactory: (kafka: Kafka, redis: RedisClient) => [
              options.kafkaGatesReadiness === false
                ? informationalProbe(kafkaReadinessProbe(kafka), Math.max(1, Math.floor(config.http.HEALTH_CHECK_TIMEOUT_MS / 2)))
                : kafkaReadinessProbe(kafka),
              redisReadinessProbe(redis),
            ],
          },
        }),
        KafkaModule.forRoot({ settings: config.kafka, clientId: `storeloop-${service}`, topics: options.topics }),
        RedisModule.forRoot({ settings: config.redis, connectionName: `storeloop-${service}` }),
      ],
      // Every error answer of every service is `{ code, message, ... }`.
      providers: [{ provide: APP_FILTER, inject: [ROOT_LOGGER], useFactory: (logger: Logger) => new ProblemFilter(logger) }],
    };
  }
}
