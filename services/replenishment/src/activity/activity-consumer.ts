import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { EventType, TOPICS, type StoreloopEvent } from '@storeloop/contracts';
import { BatchConsumer, KAFKA, TopicNamer, TopicProducer, contractDecoder, type ConsumedMessage } from '@storeloop/messaging';
import { METRICS_REGISTRY, ROOT_LOGGER, type Logger } from '@storeloop/observability';
import type { ReplenishmentSettings } from '../config';
import { ReplenishmentMetrics } from '../metrics';
import { ReplenishmentStore, type SkuStore } from '../store/replenishment-store';
import { REPLENISHMENT_SETTINGS } from '../tokens';

/** A SKU x store a batch of events concerns: the newest event time, and the offset of its last event in the batch. */
export interface PairActivity {
  pair: SkuStore;
  atMs: number;
  offset: bigint;
}

/**
 * The SKU x store pairs an event shows activity on: each line of an order
 * placed in a store, and the pair of a stock count or a receipt. Orders
 * without a store (web orders shipped from a warehouse) touch no store's
 * shelf and are not replenished here.
 */
export function pairsOfEvent(event: StoreloopEvent): SkuStore[] {
  switch (event.type) {
    case EventType.OrderPlaced:
      return event.data.store ? event.data.items.map((line) => ({ sku: line.sku, store: event.data.store as string })) : [];
    case EventType.InventorySnapshotTaken:
    case EventType.GoodsReceived:
      return [{ sku: event.data.sku, store: event.data.store }];
    default:
      return [];
  }
}

/** Per pair of one tenant, the newest event time and the last offset, in a slice of one partition (offset order). */
export function activityOf(events: readonly { value: StoreloopEvent; offset: string }[], tenant: string): Map<string, PairActivity> {
  const active = new Map<string, PairActivity>();
  for (const { value: event, offset } of events) {
    if (event.tenant !== tenant) continue;
    const atMs = Date.parse(event.time);
    for (const pair of pairsOfEvent(event)) {
      const key = JSON.stringify([pair.sku, pair.store]);
      const seen = active.get(key);
      active.set(key, { pair, atMs: Math.max(atMs, seen?.atMs ?? atMs), offset: BigInt(offset) });
    }
  }
  return active;
}

/**
 * Follows retail.events.v1 with the service's own consumer group and keeps
 * the set of active SKU x store pairs, the ones a review decides for, with
 * the offset of the last event seen per pair and partition. It counts
 * nothing: demand and stock are the feature store's (the features service
 * applies each event exactly once), so a redelivered event changes nothing
 * here (both are maxima) and a lost one cannot happen (offsets are committed
 * only after Redis took the batch). The offsets let a review tell whether the
 * feature store has applied every event seen for a pair before deciding on it.
 */
@Injectable()
export class ActivityConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: BatchConsumer<StoreloopEvent>;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(REPLENISHMENT_SETTINGS) private readonly settings: ReplenishmentSettings,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(METRICS_REGISTRY) registry: Registry,
    private readonly store: ReplenishmentStore,
    private readonly metrics: ReplenishmentMetrics,
    namer: TopicNamer,
    producer: TopicProducer,
  ) {
    this.consumer = new BatchConsumer<StoreloopEvent>({
      kafka,
      groupId: settings.REPLENISHMENT_CONSUMER_GROUP,
      topics: [namer.physical(TOPICS.events.name)],
      decode: contractDecoder(TOPICS.events.name),
      handle: (messages, context) => this.handle(messages, context.partition),
      deadLetter: { producer, topic: namer.physical(TOPICS.deadLetters.name) },
      logger,
      registry,
      namer,
      // A Redis outage holds the stream; valid events are never dead-lettered for it.
      retry: { maxRetries: Number.MAX_SAFE_INTEGER, initialBackoffMs: 200, maxBackoffMs: 10_000 },
      fromBeginning: true,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.logger.info({ group: this.settings.REPLENISHMENT_CONSUMER_GROUP }, 'activity consumer started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  private async handle(messages: ConsumedMessage<StoreloopEvent>[], partition: number): Promise<void> {
    await this.store.markActive(activityOf(messages, this.settings.REPLENISHMENT_TENANT), partition);
    for (const { value: event } of messages) {
      if (event.tenant === this.settings.REPLENISHMENT_TENANT && pairsOfEvent(event).length > 0) this.metrics.activityEvents.inc({ type: event.type });
    }
  }
}
