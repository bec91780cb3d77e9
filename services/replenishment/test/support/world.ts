import { createHash } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { EventType, TOPICS, exampleEvent, parseEvent, partitionKeyOf, type EventTypeName, type ExampleEventOverrides, type StoreloopEvent } from '@storeloop/contracts';
import { createRedis, loadRedisSettings, readSkuStoreViews, type RedisClient, type SkuStoreFeatureView } from '@storeloop/feature-store';
import { TopicNamer, provisionTopics } from '@storeloop/messaging';
import { createLogger } from '@storeloop/observability';
import { RestartableService, TopicReader, deleteRedisKeysWithPrefix, freePort, testKafka, uniqueSuffix, waitFor } from '@storeloop/testing';

export const SECRETS = { admin: 'it-repl-admin-0001', reader: 'it-repl-reader-0002' } as const;
const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the integration global setup sets it)`);
  return value;
}

export function parsed<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T>): StoreloopEvent {
  const result = parseEvent(exampleEvent(type, overrides));
  if (!result.ok) throw new Error(`invalid test event: ${JSON.stringify(result.issues)}`);
  return result.event;
}

/**
 * One replenishment test's world: its own topic prefix, consumer groups and
 * Redis key prefix; a features process (the source of demand and stock) and
 * replenishment processes sharing that prefix; a producer writing events as
 * ingestion does, and a reader of the orders topic.
 */
export class ReplenishmentWorld {
  readonly suffix = uniqueSuffix();
  readonly topicPrefix = `it-repl-${this.suffix}.`;
  readonly redisKeyPrefix = `it:repl:${this.suffix}:`;
  readonly featuresGroup = `it-repl-features-${this.suffix}`;
  readonly kafka: Kafka = testKafka(`it-repl-${this.suffix}`);
  readonly admin: Admin = this.kafka.admin();
  readonly redisUrl = requiredEnv('REDIS_URL');
  private producer?: Producer;
  private readonly processes: RestartableService[] = [];
  private readonly readers: TopicReader[] = [];
  private redisClient?: RedisClient;

  private common(): Record<string, string> {
    return { KAFKA_TOPIC_PREFIX: this.topicPrefix, REDIS_URL: this.redisUrl, REDIS_KEY_PREFIX: this.redisKeyPrefix, LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '15000' };
  }

  physical(logical: string): string {
    return `${this.topicPrefix}${logical}`;
  }

  async setup(): Promise<void> {
    await this.admin.connect();
    await provisionTopics(this.admin, Object.values(TOPICS), new TopicNamer(this.topicPrefix), { logger: createLogger('test', 'warn') });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  async features(): Promise<RestartableService> {
    const service = new RestartableService(
      'features',
      { ...this.common(), FEATURES_CONSUMER_GROUP: this.featuresGroup, FEATURES_EMIT_EXAMPLES: 'false', FEATURES_SESSION_TIMEOUT_MS: '6000' },
      await freePort(),
    );
    this.processes.push(service);
    return service;
  }

  async replenishment(extra: Record<string, string> = {}): Promise<RestartableService> {
    const service = new RestartableService(
      'replenishment',
      {
        ...this.common(),
        REPLENISHMENT_CONSUMER_GROUP: `it-repl-${this.suffix}`,
        REPLENISHMENT_FEATURES_CONSUMER_GROUP: this.featuresGroup,
        API_KEYS: [`admin:admin+infer:${sha256(SECRETS.admin)}`, `reader:infer:${sha256(SECRETS.reader)}`].join(','),
        ...extra,
      },
      await freePort(),
    );
    this.processes.push(service);
    return service;
  }

  async publish(events: readonly StoreloopEvent[]): Promise<void> {
    if (!this.producer) throw new Error('setup() first');
    await this.producer.send({
      topic: this.physical(TOPICS.events.name),
      messages: events.map((event) => ({ key: partitionKeyOf(event), value: JSON.stringify(event) })),
      acks: -1,
      compression: CompressionTypes.None,
    });
  }

  async ordersReader(): Promise<TopicReader> {
    const reader = await new TopicReader(this.kafka, this.physical(TOPICS.replenishment.name)).start();
    this.readers.push(reader);
    return reader;
  }

  redis(): RedisClient {
    this.redisClient ??= createRedis(loadRedisSettings({ REDIS_URL: this.redisUrl, REDIS_KEY_PREFIX: this.redisKeyPrefix }), 'it-repl');
    return this.redisClient;
  }

  /** Waits until the feature store's view of a pair satisfies `ready` (the features service applied the events). */
  async waitForView(sku: string, store: string, ready: (view: SkuStoreFeatureView) => boolean): Promise<SkuStoreFeatureView> {
    return waitFor(
      async () => {
        const [view] = await readSkuStoreViews(this.redis(), [{ sku, store }]);
        return ready(view) ? view : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: `the feature store view of ${sku} in ${store}` },
    );
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

const DAY_MS = 86_400_000;

/**
 * Waits past the next UTC midnight when it is less than `marginMs` away, so
 * that a test of one review period (a UTC day) never has the day change
 * under it, whenever CI runs it. Returns the time to build the test's
 * events from. Give the hook a timeout above `marginMs`.
 */
export async function clearOfUtcMidnight(marginMs: number): Promise<number> {
  const now = Date.now();
  const untilMidnight = DAY_MS - (now % DAY_MS);
  if (untilMidnight >= marginMs) return now;
  await new Promise((resolve) => setTimeout(resolve, untilMidnight + 1_000));
  return Date.now();
}

/**
 * Sales of `unitsPerDay` of a SKU in a store on each of the last `days`
 * days (00:30 UTC, so every sale is on a completed day), then a stock count
 * just now: the history and the position a review decides from.
 */
export function salesAndCount(tag: string, sku: string, store: string, options: { days: number; unitsPerDay: number; onHand: number; onOrder: number; nowMs: number }): StoreloopEvent[] {
  const today = Math.floor(options.nowMs / DAY_MS) * DAY_MS;
  const events: StoreloopEvent[] = [];
  for (let d = options.days; d >= 1; d--) {
    events.push(
      parsed(EventType.OrderPlaced, {
        id: `${tag}-${sku}-${store}-sale-${d}`,
        time: new Date(today - d * DAY_MS + 30 * 60_000).toISOString(),
        data: {
          userId: `${tag}-shopper-${d % 7}`,
          orderId: `${tag}-${sku}-${store}-order-${d}`,
          store,
          channel: 'pos',
          items: [{ sku, quantity: options.unitsPerDay, unitPrice: { amount: '2.50', currency: 'EUR' } }],
        },
      }),
    );
  }
  const countedAt = new Date(options.nowMs - 1_000).toISOString();
  events.push(
    parsed(EventType.InventorySnapshotTaken, {
      id: `${tag}-${sku}-${store}-count`,
      time: countedAt,
      data: { sku, store, onHand: options.onHand, onOrder: options.onOrder, asOf: countedAt },
    }),
  );
  return events;
}
