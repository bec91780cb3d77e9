import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { REDIS, type RedisClient } from '@storeloop/feature-store';
import { KAFKA, TopicNamer } from '@storeloop/messaging';
import { createArtifactStore, initTfBackend, type ArtifactStore } from '@storeloop/ml';
import { METRICS_REGISTRY, READINESS_PROBES, ROOT_LOGGER, type Logger, type ReadinessProbe } from '@storeloop/observability';
import { DocsModule, PlatformModule, RateLimiter, SecurityModule } from '@storeloop/platform';
import { Catalogs } from './catalog/catalogs';
import type { InferenceConfig, InferenceSettings } from './config';
import { DASHBOARD_CONTROLLERS, dashboardProviders } from './dashboard/dashboard-providers';
import { inferenceOpenApi } from './docs/openapi';
import { FeedbackLog, feedbackLogOptions } from './feedback/feedback-log';
import { OnlineMetrics } from './feedback/online-metrics';
import { AdminController } from './http/admin.controller';
import { BoundedRateLimiter } from './http/bounded-rate-limiter';
import { FeedbackController } from './http/feedback.controller';
import { InferenceMetrics } from './http/inference-metrics';
import { RecommendationsController } from './http/recommendations.controller';
import { ModelRegistry } from './models/model-registry';
import { RecommendationEngine } from './recommend/engine';
import { FeatureStoreGate } from './recommend/feature-store-gate';
import { relaxRedisReadiness } from './recommend/feature-store-readiness';
import { SegmentProfiles } from './recommend/segment-profiles';
import { ARTIFACT_STORE, INFERENCE_SETTINGS } from './tokens';

export const SERVICE_NAME = 'inference';

/**
 * Start: the TF.js backend (only to read scorer files), the item catalogue,
 * the serving versions, the feedback log (draining a spool left by a previous
 * run) and the online metrics consumer. Stop: models and consumers first; the
 * feedback log last, after the HTTP server has closed, so every impression of
 * an answered request reaches Kafka or the spool.
 */
@Injectable()
class InferenceLifecycleHooks implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly catalogs: Catalogs,
    private readonly registry: ModelRegistry,
    private readonly feedback: FeedbackLog,
    private readonly online: OnlineMetrics,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const backend = await initTfBackend({ logger: { info: (message) => this.logger.info({ tf: true }, message) } });
    this.logger.info({ backend: backend.backend }, 'tf backend for reading scorer files');
    await this.feedback.start();
    await this.catalogs.start();
    await this.registry.start();
    await this.online.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.registry.stop();
    await this.online.stop();
    this.catalogs.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feedback.stop();
    await this.store.close?.();
  }
}

function servingProbe(registry: ModelRegistry, catalogs: Catalogs): ReadinessProbe {
  return {
    name: 'models',
    async check() {
      if (!registry.ready) throw new Error('loading the serving model');
      const status = registry.status();
      return { champion: status.champion?.version ?? null, challenger: status.challenger?.version ?? null, catalog: catalogs.status() };
    },
  };
}

/** Answers storefront backends with recommendations, similar items, propensity and segments. */
@Module({})
export class InferenceModule {
  static register(config: InferenceConfig): DynamicModule {
    const settings = config.inference;
    return {
      module: InferenceModule,
      imports: [PlatformModule.forService({ service: SERVICE_NAME, config, kafkaGatesReadiness: false }), SecurityModule.forRoot(config.security), DocsModule.forRoot(inferenceOpenApi())],
      controllers: [RecommendationsController, FeedbackController, AdminController, ...DASHBOARD_CONTROLLERS],
      providers: [
        { provide: INFERENCE_SETTINGS, useValue: settings },
        {
          provide: FeatureStoreGate,
          inject: [REDIS, ROOT_LOGGER],
          useFactory: (redis: RedisClient, logger: Logger) =>
            new FeatureStoreGate(redis, {
              deadlineMs: settings.INFERENCE_REDIS_DEADLINE_MS,
              retryMs: settings.INFERENCE_REDIS_RETRY_MS,
              onChange: (available, detail) =>
                available
                  ? logger.warn({ component: 'feature-store' }, detail)
                  : logger.warn({ component: 'feature-store', code: 'INFERENCE.FEATURE_STORE_UNAVAILABLE', detail }, 'feature store unavailable: lists answered degraded from memory, propensity and segment 503'),
            }),
        },
        // The guard of this module's controllers gets this limiter: it skips Redis at once while the gate is closed.
        {
          provide: RateLimiter,
          inject: [REDIS, ROOT_LOGGER, METRICS_REGISTRY, FeatureStoreGate],
          useFactory: (redis: RedisClient, logger: Logger, registry: Registry, gate: FeatureStoreGate) => new BoundedRateLimiter(redis, logger, registry, gate),
        },
        { provide: ARTIFACT_STORE, useFactory: () => createArtifactStore(config.artifacts) },
        {
          provide: ModelRegistry,
          inject: [KAFKA, TopicNamer, ARTIFACT_STORE, ROOT_LOGGER, METRICS_REGISTRY],
          useFactory: (kafka: Kafka, namer: TopicNamer, store: ArtifactStore, logger: Logger, registry: Registry) => new ModelRegistry({ settings, kafka, namer, store, logger, registry }),
        },
        {
          provide: Catalogs,
          inject: [REDIS, ROOT_LOGGER, METRICS_REGISTRY, ModelRegistry, READINESS_PROBES],
          useFactory: (redis: RedisClient, logger: Logger, registry: Registry, models: ModelRegistry, probes: ReadinessProbe[]) => {
            const catalogs = new Catalogs({ redis, tenants: settings.INFERENCE_TENANTS, refreshMs: settings.INFERENCE_CATALOG_REFRESH_MS, logger, registry });
            probes.push(servingProbe(models, catalogs));
            // Redis down does not take the instance out of rotation once it has a catalogue to answer degraded from.
            relaxRedisReadiness(probes, () => catalogs.loaded(), Math.max(1, Math.floor(config.http.HEALTH_CHECK_TIMEOUT_MS / 2)));
            return catalogs;
          },
        },
        {
          provide: RecommendationEngine,
          inject: [REDIS, ModelRegistry, Catalogs, FeatureStoreGate],
          useFactory: (redis: RedisClient, registry: ModelRegistry, catalogs: Catalogs, featureStore: FeatureStoreGate) =>
            new RecommendationEngine({ settings: settings as InferenceSettings, redis, registry, catalog: (tenant) => catalogs.snapshot(tenant), featureStore }),
        },
        {
          provide: FeedbackLog,
          inject: [KAFKA, TopicNamer, ROOT_LOGGER, METRICS_REGISTRY],
          useFactory: (kafka: Kafka, namer: TopicNamer, logger: Logger, registry: Registry) => new FeedbackLog({ kafka, namer, logger, registry, settings: feedbackLogOptions(config.feedback) }),
        },
        {
          provide: OnlineMetrics,
          inject: [KAFKA, TopicNamer, REDIS, ROOT_LOGGER, METRICS_REGISTRY, FeatureStoreGate],
          useFactory: (kafka: Kafka, namer: TopicNamer, redis: RedisClient, logger: Logger, registry: Registry, featureStore: FeatureStoreGate) =>
            new OnlineMetrics({ kafka, namer, redis, logger, registry, settings: config.online, featureStore }),
        },
        {
          provide: SegmentProfiles,
          inject: [ModelRegistry, ARTIFACT_STORE],
          useFactory: (registry: ModelRegistry, store: ArtifactStore) => new SegmentProfiles(registry, store),
        },
        { provide: InferenceMetrics, inject: [METRICS_REGISTRY], useFactory: (registry: Registry) => new InferenceMetrics(registry) },
        InferenceLifecycleHooks,
        ...dashboardProviders(config),
      ],
    };
  }
}
