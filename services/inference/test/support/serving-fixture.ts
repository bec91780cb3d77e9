import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { TOPICS, modelLifecycleEventSchema, type ModelLifecycleEvent, type ModelStage } from '@storeloop/contracts';
import { createRedis, loadRedisSettings, type RedisClient } from '@storeloop/feature-store';
import { TopicNamer, provisionTopics } from '@storeloop/messaging';
import { FilesystemArtifactStore, type StoredArtifact } from '@storeloop/ml';
import { createLogger } from '@storeloop/observability';
import { sha256Hex } from '@storeloop/platform';
import { RestartableService, TopicReader, deleteRedisKeysWithPrefix, freePort, testKafka, uniqueSuffix } from '@storeloop/testing';
import { MODEL_NAME, buildVersion, type BuiltVersion } from './model-artifact';
import { CONFIG_EXCLUDED_SKU, seedShop, type Shop } from './shop';

/** Secrets of the three API keys every inference process of a world accepts. */
export const SECRETS = { infer: 'it-inference-infer-0001', admin: 'it-inference-admin-0002', ingest: 'it-inference-ingest-0003' } as const;

const API_KEYS = [`it-infer:infer:${sha256Hex(SECRETS.infer)}`, `it-admin:admin:${sha256Hex(SECRETS.admin)}`, `it-ingest:ingest:${sha256Hex(SECRETS.ingest)}`].join(',');

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the integration global setup sets it)`);
  return value;
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** One HTTP call with an API key (or none); the body is JSON both ways. */
export async function call<T = Record<string, unknown>>(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  options: { secret?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.secret) headers['X-Api-Key'] = options.secret;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/**
 * One inference test's world: its own topic prefix, Redis key prefix,
 * artifact directory and consumer groups; the seeded shop; the model
 * versions it built and stored; the inference processes it started (built
 * service, child processes); a producer of lifecycle events and readers of
 * the topics. `dispose` removes all of it.
 */
export class ServingWorld {
  readonly suffix = uniqueSuffix();
  readonly topicPrefix = `it-inference-${this.suffix}.`;
  readonly redisKeyPrefix = `it:inference:${this.suffix}:`;
  readonly namer = new TopicNamer(this.topicPrefix);
  readonly kafka: Kafka = testKafka(`it-inference-${this.suffix}`);
  /** The shared test Redis (global setup), or the test's own redis-server. */
  readonly redisUrl: string;
  private readonly admin: Admin = this.kafka.admin();
  private producer?: Producer;
  private redisClient?: RedisClient;
  private dir?: string;
  private storeInstance?: FilesystemArtifactStore;
  private shopInstance?: Shop;
  private readonly processes: RestartableService[] = [];
  private readonly readers: TopicReader[] = [];
  private instances = 0;

  constructor(options: { redisUrl?: string } = {}) {
    this.redisUrl = options.redisUrl ?? requiredEnv('REDIS_URL');
  }

  get redis(): RedisClient {
    if (!this.redisClient) throw new Error('setup() first');
    return this.redisClient;
  }

  get store(): FilesystemArtifactStore {
    if (!this.storeInstance) throw new Error('setup() first');
    return this.storeInstance;
  }

  get shop(): Shop {
    if (!this.shopInstance) throw new Error('setup() first');
    return this.shopInstance;
  }

  physical(logical: string): string {
    return this.namer.physical(logical);
  }

  /** Topics (namespaced), the lifecycle producer, the Redis client, the artifact directory, and the seeded shop. */
  async setup(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'it-inference-'));
    this.storeInstance = new FilesystemArtifactStore(join(this.dir, 'artifacts'));
    await this.admin.connect();
    await provisionTopics(this.admin, Object.values(TOPICS), this.namer, { logger: createLogger('it-inference', 'warn') });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
    this.redisClient = createRedis(loadRedisSettings({ REDIS_URL: this.redisUrl, REDIS_KEY_PREFIX: this.redisKeyPrefix }), 'it-inference');
    this.shopInstance = await seedShop(this.redisClient);
  }

  /** Trains a version on the seeded shop (no store write yet: `store()` it when the test wants it visible). */
  build(version: string, seed: number, options: { createdAt?: Date; parentVersion?: string | null } = {}): Promise<BuiltVersion> {
    return buildVersion(this.redis, this.shop, { version, seed, createdAt: options.createdAt ?? new Date(), parentVersion: options.parentVersion });
  }

  async storeVersion(built: BuiltVersion): Promise<StoredArtifact> {
    return this.store.put(built.artifact);
  }

  /** Moves the champion pointer as the training service's promotion and rollback do. */
  async pointChampion(version: string, previous: string[] = []): Promise<void> {
    await this.store.writeChampion({ modelName: MODEL_NAME, version, previous, updatedAt: new Date().toISOString() });
  }

  /** Produces a lifecycle event on the world's retail.models.v1, validated against its contract first. */
  async lifecycle(stage: ModelStage, version: string, championVersion: string | null, reason?: string): Promise<ModelLifecycleEvent> {
    if (!this.producer) throw new Error('setup() first');
    const event = modelLifecycleEventSchema.parse({
      modelName: MODEL_NAME,
      version,
      stage,
      championVersion,
      metrics: {},
      artifactUri: this.store.uri(MODEL_NAME, version),
      backend: 'cpu',
      at: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    });
    await this.producer.send({ topic: this.physical(TOPICS.models.name), acks: -1, messages: [{ key: MODEL_NAME, value: JSON.stringify(event) }] });
    return event;
  }

  /**
   * Environment of an inference process of this world: small catalogue
   * refresh, no pointer polling (lifecycle events only) unless overridden,
   * the three API keys, a rate limit no test reaches, a spool directory of
   * its own, and the world's online metrics group (shared by its processes,
   * as replicas of one deployment share it).
   */
  env(extra: Record<string, string> = {}): Record<string, string> {
    this.instances += 1;
    return {
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_URL: this.redisUrl,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '10000',
      API_KEYS,
      RATE_LIMIT_PER_SEC: '100000',
      RATE_LIMIT_BURST: '100000',
      ARTIFACT_DIR: join(this.dir ?? '.', 'artifacts'),
      INFERENCE_MODEL_NAME: MODEL_NAME,
      INFERENCE_SPOOL_DIR: join(this.dir ?? '.', `spool-${this.instances}`),
      INFERENCE_CATALOG_REFRESH_MS: '500',
      INFERENCE_MODEL_POLL_MS: '0',
      INFERENCE_MODELS_GROUP: `it-inference-models-${this.suffix}`,
      INFERENCE_ONLINE_METRICS_GROUP: `it-inference-online-${this.suffix}`,
      INFERENCE_ONLINE_METRICS_REFRESH_MS: '200',
      INFERENCE_EXCLUDED_SKUS: CONFIG_EXCLUDED_SKU,
      // The shop's loyal shopper has more distinct items than this: their old purchases are out of the history.
      INFERENCE_HISTORY_ITEMS: '20',
      ...extra,
    };
  }

  /** Starts a built inference process (`nx build inference` first) and waits until it answers /health/live. */
  async startInference(extra: Record<string, string> = {}): Promise<RestartableService> {
    const service = new RestartableService('inference', this.env(extra), await freePort());
    this.processes.push(service);
    await service.start();
    return service;
  }

  async reader(logical: string): Promise<TopicReader> {
    const reader = await new TopicReader(this.kafka, this.physical(logical)).start();
    this.readers.push(reader);
    return reader;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop().catch(() => p.dispose())));
    await Promise.all(this.readers.map((r) => r.stop().catch(() => undefined)));
    await this.producer?.disconnect();
    const mine = (await this.admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(this.topicPrefix));
    if (mine.length > 0) await this.admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await this.admin.disconnect();
    this.redisClient?.disconnect();
    await deleteRedisKeysWithPrefix(this.redisUrl, this.redisKeyPrefix).catch(() => undefined);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
