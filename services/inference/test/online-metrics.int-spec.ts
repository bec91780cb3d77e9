import { isDeepStrictEqual } from 'node:util';
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { EventType, TOPICS, exampleEvent, parseEvent, partitionKeyOf, type EventTypeName, type ExampleEventOverrides } from '@storeloop/contracts';
import { createRedis, loadRedisSettings, type RedisClient } from '@storeloop/feature-store';
import { TopicNamer, contractDecoder } from '@storeloop/messaging';
import { createLogger, parseEnv } from '@storeloop/observability';
import { TopicReader, createTopics, deleteRedisKeysWithPrefix, testKafka, uniqueSuffix, waitFor } from '@storeloop/testing';
import {
  OnlineMetrics,
  applyFeedbackBatch,
  onlineMetricsSettingsSchema,
  readOnlineMetrics,
  type FeedbackEvent,
  type FeedbackRecord,
  type OnlineModelMetrics,
} from '../src/feedback/online-metrics';

const PARTITIONS = 3;

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the integration global setup sets it)`);
  return value;
}

describe('inference: online metrics per model version (real Kafka and Redis)', () => {
  const suffix = uniqueSuffix();
  const namer = new TopicNamer(`it-online-${suffix}.`);
  const feedbackTopic = namer.physical(TOPICS.feedback.name);
  const deadLetterTopic = namer.physical(TOPICS.deadLetters.name);
  const group = `it-online-${suffix}`;
  const redisUrl = requiredEnv('REDIS_URL');
  const keyPrefix = `it:online:${suffix}:`;
  const kafka = testKafka(`it-online-${suffix}`);
  const logger = createLogger('it-online-metrics', 'warn');
  let admin: Admin;
  let producer: Producer;
  let redis: RedisClient;
  const running: OnlineMetrics[] = [];
  const readers: TopicReader[] = [];

  const settings = (overrides: Record<string, string> = {}) =>
    parseEnv(onlineMetricsSettingsSchema, {
      INFERENCE_ONLINE_METRICS_GROUP: group,
      INFERENCE_ONLINE_METRICS_REFRESH_MS: '200',
      // Small batches: lists and their outcomes land in different script calls.
      INFERENCE_ONLINE_METRICS_MAX_BATCH: '2',
      ...overrides,
    });

  async function startMetrics(registry = new Registry()): Promise<{ metrics: OnlineMetrics; registry: Registry }> {
    const metrics = new OnlineMetrics({ kafka, namer, redis, logger, registry, settings: settings() });
    running.push(metrics);
    await metrics.start();
    return { metrics, registry };
  }

  async function stopMetrics(metrics: OnlineMetrics): Promise<void> {
    await metrics.stop();
    running.splice(running.indexOf(metrics), 1);
  }

  let n = 0;
  function event<T extends EventTypeName>(type: T, data: ExampleEventOverrides<T>['data']): FeedbackEvent {
    n++;
    const parsed = parseEvent(exampleEvent(type, { id: `${suffix}-e${n}`, time: new Date(Date.UTC(2024, 4, 1, 10, 0, n)).toISOString(), data }));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.event as FeedbackEvent;
  }
  const served = (recommendationId: string, userId: string, modelVersion: string, skus: string[]) =>
    event(EventType.RecommendationServed, { userId, recommendationId, modelName: 'ranker', modelVersion, items: skus.map((sku, i) => ({ sku, position: i + 1, score: 1 - i / 10 })) });
  const click = (recommendationId: string, userId: string, sku: string) => event(EventType.RecommendationClicked, { userId, recommendationId, sku, position: 1 });
  const purchase = (recommendationId: string, userId: string, sku: string) =>
    event(EventType.RecommendationPurchased, { userId, recommendationId, sku, quantity: 2 });

  async function publish(events: readonly FeedbackEvent[], extra: { key: string; value: string }[] = []): Promise<void> {
    // One send keeps each user's events in order on its partition, as the storefront produced them.
    await producer.send({ topic: feedbackTopic, acks: -1, messages: [...events.map((e) => ({ key: partitionKeyOf(e), value: JSON.stringify(e) })), ...extra] });
  }

  const row = (version: string, counts: Omit<OnlineModelMetrics, 'modelName' | 'version' | 'ctr' | 'conversion'>): OnlineModelMetrics => ({
    modelName: 'ranker',
    version,
    ...counts,
    ctr: counts.clicks / counts.impressions,
    conversion: counts.purchases / counts.impressions,
  });

  async function gaugeValue(registry: Registry, name: string, version: string): Promise<number | undefined> {
    const metric = registry.getSingleMetric(name);
    const values = metric ? (await metric.get()).values : [];
    return values.find((value) => value.labels.version === version)?.value;
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [feedbackTopic, deadLetterTopic], PARTITIONS);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    redis = createRedis(loadRedisSettings({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix }), 'it-online-metrics');
  });

  afterAll(async () => {
    for (const metrics of [...running]) await metrics.stop();
    for (const reader of readers) await reader.stop();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [feedbackTopic, deadLetterTopic] }).catch(() => undefined);
    await admin?.disconnect();
    await redis?.quit();
    await deleteRedisKeysWithPrefix(redisUrl, keyPrefix);
  });

  it('counts lists, clicks and purchases per version exactly once, through a restart and a replay from offset 0', async () => {
    const batch = [
      served('rec-1', 'user-a', 'v1', ['A', 'B', 'C']),
      served('rec-2', 'user-b', 'v1', ['A']),
      served('rec-3', 'user-c', 'v1', ['B', 'C']),
      served('rec-4', 'user-d', 'v2', ['A', 'B']),
      served('rec-5', 'user-e', 'v2', ['C']),
      click('rec-1', 'user-a', 'A'),
      click('rec-1', 'user-a', 'B'),
      // The same SKU clicked again from the same list, and a list logged twice (a producer retry).
      click('rec-1', 'user-a', 'A'),
      served('rec-2', 'user-b', 'v1', ['A']),
      click('rec-4', 'user-d', 'B'),
      click('rec-unknown', 'user-f', 'A'),
      purchase('rec-1', 'user-a', 'B'),
      purchase('rec-5', 'user-e', 'C'),
      purchase('rec-5', 'user-e', 'C'),
      purchase('rec-ghost', 'user-g', 'C'),
    ];
    const poison = { key: 'user-z', value: '{"not": json' };
    await publish(batch, [poison]);
    const dlq = await new TopicReader(kafka, deadLetterTopic).start();
    readers.push(dlq);

    const first = await startMetrics();
    const expected = [
      row('v1', { impressions: 3, itemsShown: 6, clicks: 2, purchases: 1, users: 3, updatedAt: batch[11].time }),
      row('v2', { impressions: 2, itemsShown: 3, clicks: 1, purchases: 1, users: 2, updatedAt: batch[12].time }),
    ];
    await waitFor(async () => isDeepStrictEqual(await first.metrics.snapshot(), expected), {
      description: 'the online metrics of the first batch',
      timeoutMs: 60_000,
    }).catch(async (error: unknown) => {
      expect(await first.metrics.snapshot()).toEqual(expected);
      throw error;
    });
    expect(await first.metrics.unattributed()).toEqual({ clicks: 1, purchases: 1 });

    // Every replica reads the same global values back from Redis into its gauges. A refresh that
    // read Redis while the batch was half applied may still be the latest one, so wait for all of them.
    const gauges = async () => ({
      impressionsV1: await gaugeValue(first.registry, 'inference_online_impressions', 'v1'),
      clicksV2: await gaugeValue(first.registry, 'inference_online_clicks', 'v2'),
      purchasesV2: await gaugeValue(first.registry, 'inference_online_purchases', 'v2'),
      ctrV1: await gaugeValue(first.registry, 'inference_online_ctr', 'v1'),
      conversionV2: await gaugeValue(first.registry, 'inference_online_conversion', 'v2'),
    });
    const expectedGauges = { impressionsV1: 3, clicksV2: 1, purchasesV2: 1, ctrV1: 2 / 3, conversionV2: 0.5 };
    await waitFor(async () => isDeepStrictEqual(await gauges(), expectedGauges), { description: 'the online metrics gauges' }).catch(async (error: unknown) => {
      expect(await gauges()).toEqual(expectedGauges);
      throw error;
    });

    const [dead] = await dlq.waitForCount(1);
    expect(JSON.parse(dead.message.value?.toString('utf8') ?? '{}')).toMatchObject({ code: 'MESSAGING.MALFORMED_RECORD', consumerGroup: group });

    // Stop, rewind the group's committed offsets to the start of the log, and restart.
    await stopMetrics(first.metrics);
    await admin.setOffsets({ groupId: group, topic: feedbackTopic, partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: '0' })) });
    const rewound = await admin.fetchOffsets({ groupId: group, topics: [feedbackTopic] });
    expect(rewound[0].partitions.map((p) => p.offset)).toEqual(Array.from({ length: PARTITIONS }, () => '0'));

    const second = await startMetrics();
    const later = click('rec-2', 'user-b', 'A');
    await publish([later]);
    const afterRestart = [{ ...expected[0], clicks: 3, ctr: 1, updatedAt: later.time }, expected[1]];
    await waitFor(async () => (await second.metrics.snapshot())[0]?.clicks === 3, { description: 'the click published after the restart', timeoutMs: 60_000 });
    expect(await second.metrics.snapshot()).toEqual(afterRestart);
    expect(await second.metrics.unattributed()).toEqual({ clicks: 1, purchases: 1 });

    // Replaying every record straight into the store, with its real offsets, adds nothing either.
    const reader = await new TopicReader(kafka, feedbackTopic).start();
    readers.push(reader);
    const all = await reader.waitForCount(batch.length + 2);
    const decode = contractDecoder(TOPICS.feedback.name);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const records: FeedbackRecord[] = all
        .filter((m) => m.partition === partition && m.message.value?.toString('utf8') !== poison.value)
        .map((m) => ({ offset: m.message.offset, event: decode(m.message, feedbackTopic) }));
      const replay = await applyFeedbackBatch(redis, { group, topic: feedbackTopic, partition, records, attributionTtlMs: 60_000 });
      expect(replay).toMatchObject({ counted: 0, replayed: records.length });
    }
    expect(await second.metrics.snapshot()).toEqual(afterRestart);
  });

  it('counts a batch once when two consumers of one partition apply it at the same time', async () => {
    const other = `${group}-race`;
    const records: FeedbackRecord[] = [
      served('rec-r1', 'user-r', 'v9', ['A', 'B']),
      click('rec-r1', 'user-r', 'A'),
      purchase('rec-r1', 'user-r', 'A'),
      served('rec-r2', 'user-r', 'v9', ['C']),
    ].map((e, offset) => ({ offset: String(offset), event: e }));
    const apply = () => applyFeedbackBatch(redis, { group: other, topic: feedbackTopic, partition: 0, records, attributionTtlMs: 60_000 });
    const results = await Promise.all([apply(), apply(), apply()]);
    expect(results.map((r) => r.counted).sort()).toEqual([0, 0, 4]);
    const { models } = await readOnlineMetrics(redis, other);
    expect(models).toEqual([row('v9', { impressions: 2, itemsShown: 3, clicks: 1, purchases: 1, users: 1, updatedAt: records[3].event.time })]);
    // The list's attribution expires with the configured TTL.
    const ttl = await redis.pttl(`online-metrics:{${other}}:served:${JSON.stringify(['default', 'rec-r1'])}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
