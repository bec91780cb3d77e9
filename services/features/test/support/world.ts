import type { Admin, Kafka, Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { TOPICS, partitionKeyOf, topicForEventType, type StoreloopEvent } from '@storeloop/contracts';
import { createRedis, loadRedisSettings, readStoredOffsets, type RedisClient } from '@storeloop/feature-store';
import { TopicNamer, provisionTopics } from '@storeloop/messaging';
import { createLogger } from '@storeloop/observability';
import { RestartableService, deleteRedisKeysWithPrefix, freePort, testKafka, uniqueSuffix, type TopicReader } from '@storeloop/testing';

export const CONSUMED = [TOPICS.events.name, TOPICS.feedback.name, TOPICS.privacy.name] as const;

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the integration global setup sets it)`);
  return value;
}

/**
 * One features test's world: its own topic prefix, consumer group and Redis
 * key prefix (or its own Redis), the feature processes it started, and a
 * producer that writes validated events to the topics as ingestion would.
 */
export class FeaturesWorld {
  readonly suffix = uniqueSuffix();
  readonly topicPrefix = `it-features-${this.suffix}.`;
  readonly redisKeyPrefix = `it:features:${this.suffix}:`;
  readonly consumerGroup = `it-features-${this.suffix}`;
  readonly kafka: Kafka = testKafka(`it-features-${this.suffix}`);
  readonly admin: Admin = this.kafka.admin();
  private producer?: Producer;
  private readonly processes: RestartableService[] = [];
  private readonly readers: TopicReader[] = [];
  private redisClient?: RedisClient;

  constructor(private readonly redisUrl = requiredEnv('REDIS_URL')) {}

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_URL: this.redisUrl,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      FEATURES_CONSUMER_GROUP: this.consumerGroup,
      FEATURES_SESSION_TIMEOUT_MS: '6000',
      FEATURES_REBUILD_FENCE_MS: '1000',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '15000',
      ...extra,
    };
  }

  physical(logical: string): string {
    return `${this.topicPrefix}${logical}`;
  }

  /** Creates this world's topics from the registry (the service would too). */
  async setup(): Promise<void> {
    await this.admin.connect();
    await provisionTopics(this.admin, Object.values(TOPICS), new TopicNamer(this.topicPrefix), { logger: createLogger('test', 'warn') });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  /** A features process, not started. */
  async process(extra: Record<string, string> = {}): Promise<RestartableService> {
    const service = new RestartableService('features', this.env(extra), await freePort());
    this.processes.push(service);
    return service;
  }

  /** Writes events (already valid) to their topics, keyed as ingestion keys them. */
  async publish(events: readonly StoreloopEvent[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const event of events) {
      const topic = this.physical(topicForEventType(event.type));
      const list = byTopic.get(topic) ?? [];
      list.push({ key: partitionKeyOf(event), value: JSON.stringify(event) });
      byTopic.set(topic, list);
    }
    if (!this.producer) throw new Error('setup() first');
    await this.producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: -1,
      compression: CompressionTypes.None,
    });
  }

  /** A client on this world's Redis with the service's key prefix, for the library's read functions. */
  redis(): RedisClient {
    this.redisClient ??= createRedis(loadRedisSettings({ REDIS_URL: this.redisUrl, REDIS_KEY_PREFIX: this.redisKeyPrefix }), 'it-features');
    return this.redisClient;
  }

  /** Records written to each consumed topic, and how many of them Redis says are applied. */
  async progress(): Promise<{ written: number; applied: number; caughtUp: boolean }> {
    let written = 0;
    let applied = 0;
    let caughtUp = true;
    for (const logical of CONSUMED) {
      const topic = this.physical(logical);
      const [ends, stored] = await Promise.all([this.admin.fetchTopicOffsets(topic), readStoredOffsets(this.redis(), this.consumerGroup, topic)]);
      for (const end of ends) {
        const high = Number(end.high);
        const at = Number(stored.get(end.partition) ?? 0);
        written += high;
        applied += Math.min(at, high);
        if (at < high) caughtUp = false;
      }
    }
    return { written, applied, caughtUp };
  }

  track(reader: TopicReader): TopicReader {
    this.readers.push(reader);
    return reader;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.dispose()));
    await Promise.all(this.readers.map((r) => r.stop()));
    await this.producer?.disconnect();
    const mine = (await this.admin.listTopics()).filter((t) => t.startsWith(this.topicPrefix));
    if (mine.length > 0) await this.admin.deleteTopics({ topics: mine });
    await this.admin.disconnect();
    this.redisClient?.disconnect();
    await deleteRedisKeysWithPrefix(this.redisUrl, this.redisKeyPrefix).catch(() => undefined);
  }
}
