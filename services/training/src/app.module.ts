import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { REDIS, type RedisClient } from '@storeloop/feature-store';
import { KAFKA, TopicNamer, TopicProducer } from '@storeloop/messaging';
import { createArtifactStore, initTfBackend, type ArtifactStore, type TfBackendDescription } from '@storeloop/ml';
import { METRICS_REGISTRY, READINESS_PROBES, ROOT_LOGGER, type Logger, type ReadinessProbe } from '@storeloop/observability';
import { DocsModule, PlatformModule, SecurityModule } from '@storeloop/platform';
import type { TrainingConfig, TrainingSettings } from './config';
import { ModelsController } from './admin/models.controller';
import { trainingOpenApi } from './docs/openapi';
import { ModelLifecycle } from './lifecycle/model-lifecycle';
import { trainingMetrics, type TrainingMetrics } from './lifecycle/training-metrics';
import { ARTIFACT_STORE, TF_BACKEND, TRAINING_SETTINGS } from './tokens';
import { TrainingLoop } from './training/training-loop';

export const SERVICE_NAME = 'training';
const TRAINING_METRICS = Symbol('TRAINING_METRICS');

/**
 * Loads the champion, then consumes; on shutdown stops consuming, lets a run
 * in progress finish, then frees the champion's model and the store's client.
 */
@Injectable()
class TrainingLifecycleHooks implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly lifecycle: ModelLifecycle,
    private readonly loop: TrainingLoop,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.init();
    await this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    this.lifecycle.close();
    await this.store.close?.();
  }
}

/** Readiness also asks the artifact store: without it no model can be stored or promoted. */
function artifactStoreProbe(store: ArtifactStore, modelName: string): ReadinessProbe {
  return {
    name: 'artifacts',
    async check() {
      const champion = await store.readChampion(modelName);
      return { store: store.kind, uri: store.uri(), champion: champion?.version ?? null };
    },
  };
}

/** Trains, evaluates and promotes the scoring model; writes consumer segments. */
@Module({})
export class TrainingModule {
  static register(config: TrainingConfig): DynamicModule {
    return {
      module: TrainingModule,
      imports: [
        PlatformModule.forService({ service: SERVICE_NAME, config }),
        SecurityModule.forRoot(config.security),
        DocsModule.forRoot(trainingOpenApi()),
      ],
      controllers: [ModelsController],
      providers: [
        { provide: TRAINING_SETTINGS, useValue: config.training },
        { provide: ARTIFACT_STORE, useFactory: () => createArtifactStore(config.artifacts) },
        { provide: TRAINING_METRICS, inject: [METRICS_REGISTRY], useFactory: (registry: Registry) => trainingMetrics(registry) },
        {
          provide: TF_BACKEND,
          inject: [ROOT_LOGGER, TRAINING_METRICS],
          useFactory: async (logger: Logger, metrics: TrainingMetrics) => {
            const backend = await initTfBackend({ logger: { info: (message) => logger.info({ tf: true }, message) } });
            metrics.backend.set({ backend: backend.backend, accelerator: backend.accelerator, package: backend.package }, 1);
            return backend;
          },
        },
        {
          provide: ModelLifecycle,
          inject: [ARTIFACT_STORE, TopicProducer, ROOT_LOGGER, TRAINING_METRICS, TF_BACKEND, READINESS_PROBES],
          useFactory: (store: ArtifactStore, producer: TopicProducer, logger: Logger, metrics: TrainingMetrics, backend: TfBackendDescription, probes: ReadinessProbe[]) => {
            probes.push(artifactStoreProbe(store, config.training.TRAINING_MODEL_NAME));
            return new ModelLifecycle({ modelName: config.training.TRAINING_MODEL_NAME, store, producer, logger, metrics, backend: backend.backend });
          },
        },
        {
          provide: TrainingLoop,
          inject: [TRAINING_SETTINGS, KAFKA, TopicNamer, TopicProducer, REDIS, ARTIFACT_STORE, ModelLifecycle, TF_BACKEND, ROOT_LOGGER, METRICS_REGISTRY, TRAINING_METRICS],
          useFactory: (
            settings: TrainingSettings,
            kafka: Kafka,
            namer: TopicNamer,
            producer: TopicProducer,
            redis: RedisClient,
            store: ArtifactStore,
            lifecycle: ModelLifecycle,
            backend: TfBackendDescription,
            logger: Logger,
            registry: Registry,
            metrics: TrainingMetrics,
          ) => new TrainingLoop({ settings, kafka, namer, producer, redis, store, lifecycle, backend, logger, registry, metrics }),
        },
        TrainingLifecycleHooks,
      ],
    };
  }
}
