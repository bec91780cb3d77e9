import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { TOPICS, type TopicName } from '@storeloop/contracts';
import { TopicNamer, provisionTopics } from '@storeloop/messaging';
import { createLogger } from '@storeloop/observability';
import { sha256Hex } from '@storeloop/platform';
import { RestartableService, TopicReader, deleteRedisKeysWithPrefix, freePort, testKafka, uniqueSuffix } from '@storeloop/testing';

export const SERVICES = ['ingestion', 'features', 'training', 'inference'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** One secret per role; the services hold only their SHA-256. */
export const SECRETS = {
  shop: 'e2e-shop-secret',
  admin: 'e2e-admin-secret',
} as const;

/** High enough that the simulator never meets a 429: the loop, not the rate limiter, is under test. */
const UNTHROTTLED = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' };

/**
 * Every service as its built process, sharing one topic namespace, one Redis
 * key prefix and one artifact directory, so the four together form a private
 * Storeloop on the shared test Kafka and Redis. `env` adds per-service
 * settings (windows, triggers) on top of the shared ones.
 */
export class StoreloopPlatform {
  readonly suffix = uniqueSuffix();
  readonly topicPrefix = `e2e-${this.suffix}.`;
  readonly redisKeyPrefix = `e2e:${this.suffix}:`;
  readonly redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15';
  readonly kafka: Kafka = testKafka(`e2e-${this.suffix}`);
  readonly namer = new TopicNamer(this.topicPrefix);
  readonly services = new Map<ServiceName, RestartableService>();
  private readonly readers: TopicReader[] = [];
  private admin?: Admin;
  private dir?: string;

  /** Consumer groups named here, deleted again on dispose. */
  private readonly groups = {
    ingestion: `e2e-ingestion-${this.suffix}`,
    features: `e2e-features-${this.suffix}`,
    training: `e2e-training-${this.suffix}`,
    inferenceModels: `e2e-inference-models-${this.suffix}`,
    inferenceOnline: `e2e-inference-online-${this.suffix}`,
  };

  url(service: ServiceName): string {
    const running = this.services.get(service);
    if (!running) throw new Error(`${service} is not started`);
    return running.url;
  }

  physical(topic: TopicName): string {
    return this.namer.physical(topic);
  }

  /** Creates every topic of the registry (so readers can attach before the services run) and the state directory. */
  async setup(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `e2e-${this.suffix}-`));
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await provisionTopics(this.admin, Object.values(TOPICS), this.namer, { logger: createLogger('e2e', 'warn') });
  }

  /** Reads a topic of this platform from its beginning; stopped on dispose. */
  async reader(topic: TopicName): Promise<TopicReader> {
    const reader = await new TopicReader(this.kafka, this.physical(topic)).start();
    this.readers.push(reader);
    return reader;
  }

  /** Starts the four services side by side and waits until each answers /health/live. */
  async start(overrides: Partial<Record<ServiceName, Record<string, string>>>): Promise<void> {
    const dir = this.requireDir();
    const shared = {
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_URL: this.redisUrl,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      LOG_LEVEL: 'info',
      ...UNTHROTTLED,
    };
    const artifacts = { ARTIFACT_DIR: join(dir, 'artifacts') };
    const env: Record<ServiceName, Record<string, string>> = {
      ingestion: {
        ...shared,
        LOG_LEVEL: 'warn',
        API_KEYS: `e2e-shop:ingest:${sha256Hex(SECRETS.shop)}`,
        // HTTP batches land on the raw topic first; this group moves them, validated and deduplicated, to retail.events.v1.
        INGEST_CONSUMER_GROUP: this.groups.ingestion,
      },
      features: { ...shared, LOG_LEVEL: 'warn', FEATURES_CONSUMER_GROUP: this.groups.features },
      training: {
        ...shared,
        ...artifacts,
        API_KEYS: `e2e-admin:admin:${sha256Hex(SECRETS.admin)}`,
        TRAINING_CONSUMER_GROUP: this.groups.training,
        TRAINING_STATE_DIR: join(dir, 'training-state'),
      },
      inference: {
        ...shared,
        ...artifacts,
        API_KEYS: `e2e-shop:infer:${sha256Hex(SECRETS.shop)},e2e-admin:admin:${sha256Hex(SECRETS.admin)}`,
        INFERENCE_MODELS_GROUP: this.groups.inferenceModels,
        INFERENCE_ONLINE_METRICS_GROUP: this.groups.inferenceOnline,
        INFERENCE_SPOOL_DIR: join(dir, 'inference-spool'),
      },
    };
    // E2E_LOG_LEVEL=debug (or info) makes every service talkative; by default the two busiest stay at warn.
    const level: Record<string, string> = process.env.E2E_LOG_LEVEL ? { LOG_LEVEL: process.env.E2E_LOG_LEVEL } : {};
    await Promise.all(
      SERVICES.map(async (name) => {
        const service = new RestartableService(name, { ...env[name], ...overrides[name], ...level }, await freePort());
        this.services.set(name, service);
        await service.start(120_000);
      }),
    );
  }

  /** The last lines each service wrote, for a failure message. */
  outputs(chars = 4000): string {
    return [...this.services.entries()].map(([name, service]) => `----- ${name} -----\n${service.output().slice(-chars)}`).join('\n');
  }

  /**
   * Stops every process (SIGTERM, so consumers leave their groups; SIGKILL
   * after 15 s), then removes topics, groups, Redis keys and files of this platform.
   */
  async dispose(): Promise<void> {
    await Promise.all(
      [...this.services.values()].map(async (service) => {
        await service.stop(15_000).catch(() => undefined);
        await service.dispose();
      }),
    );
    for (const reader of this.readers) await reader.stop().catch(() => undefined);
    if (this.admin) {
      const mine = (await this.admin.listTopics()).filter((topic) => topic.startsWith(this.topicPrefix));
      if (mine.length > 0) await this.admin.deleteTopics({ topics: mine }).catch(() => undefined);
      const groups = (await this.admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.includes(this.suffix));
      if (groups.length > 0) await this.admin.deleteGroups(groups).catch(() => undefined);
      await this.admin.disconnect();
    }
    await deleteRedisKeysWithPrefix(this.redisUrl, this.redisKeyPrefix).catch(() => undefined);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private requireDir(): string {
    if (!this.dir) throw new Error('call setup() first');
    return this.dir;
  }
}
