import { Module, type DynamicModule } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { REDIS, type RedisClient } from '@storeloop/feature-store';
import { KAFKA, KAFKA_ADMIN, TopicNamer } from '@storeloop/messaging';
import { METRICS_REGISTRY, ROOT_LOGGER, type Logger } from '@storeloop/observability';
import { PlatformModule } from '@storeloop/platform';
import { attributionWindows } from './examples/attribution';
import { ExamplesEmitter } from './examples/examples-emitter';
import type { FeaturesConfig } from './config';
import { FeatureConsumer } from './consumer/feature-consumer';
import { EXAMPLES_STAGE, FEATURES_SETTINGS } from './tokens';

export const SERVICE_NAME = 'features';

/** Keeps the online feature store in Redis from the events, feedback and privacy topics. */
@Module({})
export class FeaturesModule {
  static register(config: FeaturesConfig): DynamicModule {
    return {
      module: FeaturesModule,
      imports: [PlatformModule.forService({ service: SERVICE_NAME, config })],
      providers: [
        { provide: FEATURES_SETTINGS, useValue: { ...config.features, keyPrefix: config.redis.REDIS_KEY_PREFIX } },
        {
          provide: EXAMPLES_STAGE,
          inject: [KAFKA, KAFKA_ADMIN, REDIS, TopicNamer, ROOT_LOGGER, METRICS_REGISTRY],
          useFactory: (kafka: Kafka, admin: Admin, redis: RedisClient, namer: TopicNamer, logger: Logger, registry: Registry) =>
            config.features.FEATURES_EMIT_EXAMPLES
              ? new ExamplesEmitter({
                  kafka,
                  admin,
                  redis,
                  namer,
                  logger,
                  registry,
                  consumerGroup: config.features.FEATURES_CONSUMER_GROUP,
                  concurrency: config.features.FEATURES_CONCURRENCY,
                  windows: attributionWindows({
                    clickMs: config.features.FEATURES_CLICK_WINDOW_MS,
                    purchaseMs: config.features.FEATURES_PURCHASE_WINDOW_MS,
                    graceMs: config.features.FEATURES_ATTRIBUTION_GRACE_MS,
                  }),
                  maxOpenPerUser: config.features.FEATURES_SERVED_MAX_OPEN_PER_USER,
                })
              : null,
        },
        FeatureConsumer,
      ],
    };
  }
}
