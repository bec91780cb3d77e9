import { Module, type DynamicModule } from '@nestjs/common';
import { REDIS, type RedisClient } from '@storeloop/feature-store';
import { createArtifactStore } from '@storeloop/ml';
import { DocsModule, PlatformModule, SecurityModule } from '@storeloop/platform';
import { ActivityConsumer } from './activity/activity-consumer';
import type { ReplenishmentConfig } from './config';
import { replenishmentOpenApi } from './docs/openapi';
import { PoliciesController } from './http/policies.controller';
import { ReplenishmentController } from './http/replenishment.controller';
import { ReplenishmentMetrics } from './metrics';
import { PolicyRegistry, TRAINING_RUNNER, workerTrainingRunner } from './policy/policy-registry';
import { ReviewScheduler } from './review/review-scheduler';
import { ReviewService } from './review/review-service';
import { ReplenishmentStore } from './store/replenishment-store';
import { ARTIFACT_STORE, REPLENISHMENT_SETTINGS } from './tokens';

export const SERVICE_NAME = 'replenishment';

/** Learns and publishes replenishment orders per SKU and store. */
@Module({})
export class ReplenishmentModule {
  static register(config: ReplenishmentConfig): DynamicModule {
    const settings = config.replenishment;
    return {
      module: ReplenishmentModule,
      imports: [
        PlatformModule.forService({ service: SERVICE_NAME, config }),
        SecurityModule.forRoot(config.security),
        DocsModule.forRoot(replenishmentOpenApi()),
      ],
      controllers: [ReplenishmentController, PoliciesController],
      providers: [
        { provide: REPLENISHMENT_SETTINGS, useValue: settings },
        { provide: TRAINING_RUNNER, useValue: workerTrainingRunner },
        { provide: ARTIFACT_STORE, useFactory: () => createArtifactStore(config.artifacts) },
        {
          provide: ReplenishmentStore,
          inject: [REDIS],
          useFactory: (redis: RedisClient) => new ReplenishmentStore(redis, settings.REPLENISHMENT_TENANT, settings.REPLENISHMENT_ORDER_RETENTION_DAYS),
        },
        ReplenishmentMetrics,
        PolicyRegistry,
        ReviewService,
        ReviewScheduler,
        ActivityConsumer,
      ],
    };
  }
}
