import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, ROOT_LOGGER, type Logger, type ReadinessProbe } from '@storeloop/observability';
import { TOPICS } from '@storeloop/contracts';
import { createKafka } from './client';
import { kafkaStartupError, type KafkaSettings } from './config';
import { TopicProducer } from './producer';
import { provisionTopics, type TopicSpec } from './provisioning';
import { TopicNamer } from './topic-namer';

export const KAFKA_SETTINGS = Symbol('KAFKA_SETTINGS');
export const KAFKA = Symbol('KAFKA');
export const KAFKA_ADMIN = Symbol('KAFKA_ADMIN');
export const KAFKA_TOPICS = Symbol('KAFKA_TOPICS');

/** Readiness: the cluster answers a metadata request and reports at least one broker. */
export function kafkaReadinessProbe(kafka: Kafka): ReadinessProbe {
  // A separate admin without retries: the health endpoint must answer "down" fast.
  const admin = kafka.admin({ retry: { retries: 0 } });
  let connected: Promise<void> | undefined;
  return {
    name: 'kafka',
    async check() {
      connected ??= admin.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await connected;
      try {
        const cluster = await admin.describeCluster();
        return { brokers: cluster.brokers.length, controller: cluster.controller };
      } catch (error) {
        connected = undefined;
        await admin.disconnect().catch(() => undefined);
        throw error;
      }
    },
  };
}

/** Connects the producer and admin at start, provisions the registry's topics, and disconnects last. */
@Injectable()
export class KafkaLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(KAFKA_SETTINGS) private readonly settings: KafkaSettings,
    @Inject(KAFKA_ADMIN) private readonly admin: Admin,
    @Inject(KAFKA_TOPICS) private readonly topics: readonly TopicSpec[],
    private readonly producer: TopicProducer,
    private readonly namer: TopicNamer,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    // Wrong credentials or an untrusted certificate refuse the start with a stable code (KAFKA.AUTH_FAILED / KAFKA.TLS_FAILED).
    await this.admin.connect().catch((error: unknown) => {
      throw kafkaStartupError(error, this.settings) ?? error;
    });
    if (this.settings.KAFKA_PROVISION_TOPICS) {
      await provisionTopics(this.admin, this.topics, this.namer, {
        replicationFactor: this.settings.KAFKA_TOPIC_REPLICATION_FACTOR,
        logger: this.logger,
      });
    }
    await this.producer.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}

/** Global Kafka wiring for a service: client, admin, typed idempotent producer, topic namer. */
@Module({})
export class KafkaModule {
  static forRoot(options: { settings: KafkaSettings; clientId: string; topics?: readonly TopicSpec[] }): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA_SETTINGS, useValue: options.settings },
        { provide: KAFKA_TOPICS, useValue: options.topics ?? Object.values(TOPICS) },
        { provide: TopicNamer, useValue: new TopicNamer(options.settings.KAFKA_TOPIC_PREFIX) },
        {
          provide: KAFKA,
          inject: [ROOT_LOGGER],
          useFactory: (logger: Logger) => createKafka(options.settings, options.clientId, logger),
        },
        { provide: KAFKA_ADMIN, inject: [KAFKA], useFactory: (kafka: Kafka) => kafka.admin() },
        {
          provide: TopicProducer,
          inject: [KAFKA, TopicNamer, ROOT_LOGGER, METRICS_REGISTRY],
          useFactory: (kafka: Kafka, namer: TopicNamer, logger: Logger, registry: Registry) =>
            new TopicProducer(kafka, namer, logger, registry),
        },
        KafkaLifecycle,
      ],
      exports: [KAFKA_SETTINGS, KAFKA, KAFKA_ADMIN, TopicProducer, TopicNamer],
    };
  }
}
