import { EventType, partitionKeyOf, type EventTypeName, type ExampleEventOverrides, type StoreloopEvent } from '@storeloop/contracts';
import { mulberry32 } from '@storeloop/ml';
import type { SourcedEvent } from '../../src';
import { EVENTS_TOPIC, event } from './events';

/** Seeded, so a failing run can be replayed exactly. */
export const seededRandom = mulberry32;

export interface Catalogue {
  categories: Map<string, string[]>;
}

export interface EventStream {
  /** Per partition, the events in offset order; the catalogue comes first in each partition it lands on. */
  partitions: SourcedEvent[][];
  /** How many leading events of each partition are the initial catalogue. */
  catalogueOffsets: number[];
  catalogue: Catalogue;
  /** Latest event time: the views are compared as of one minute later. */
  lastTimeMs: number;
  tenants: string[];
  users: string[];
  skus: string[];
  stores: string[];
}

const CATEGORY_TREE = [
  ['Sports', 'Running', 'Shoes'],
  ['Sports', 'Running', 'Socks'],
  ['Sports', 'Cycling'],
  ['Home', 'Kitchen', 'Knives'],
  ['Home', 'Kitchen', 'Pans'],
  ['Home', 'Bath'],
  ['Garden', 'Tools'],
];

/** Kafka's default partitioner hashes the key with murmur2; any stable hash shows the same behaviour here. */
function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % partitions;
}

/**
 * A seeded stream of shopper, catalogue and stock events over about two
 * months, keyed and partitioned as ingestion would: every event of a user on
 * one partition, in the order the user produced them (with some late event
 * times), stock and catalogue events by SKU or SKU x store.
 */
export function generateEventStream(options: { seed: number; events: number; partitions: number }): EventStream {
  const random = seededRandom(options.seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const tenants = ['default', 'acme'];
  const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  const skus = Array.from({ length: 25 }, (_, i) => `SKU-${i}`);
  const stores = ['store-1', 'store-2', 'store-3'];
  const start = Date.parse('2024-03-01T00:00:00.000Z');
  const prices = new Map(skus.map((sku) => [sku, `${between(1, 120)}.${String(between(0, 99)).padStart(2, '0')}`]));
  const categories = new Map(skus.map((sku, i) => [sku, CATEGORY_TREE[i % CATEGORY_TREE.length]]));
  const currency = (tenant: string) => (tenant === 'default' ? 'EUR' : 'USD');
  const iso = (ms: number) => new Date(ms).toISOString();

  const partitions: StoreloopEvent[][] = Array.from({ length: options.partitions }, () => []);
  let id = 0;
  const emit = <T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T>) => {
    const e = event(type, { id: `evt-${id++}`, ...overrides });
    partitions[partitionOf(partitionKeyOf(e), options.partitions)].push(e);
  };

  for (const tenant of tenants) {
    for (const sku of skus) {
      emit(EventType.CatalogItemUpserted, {
        tenant,
        time: iso(start - 86_400_000),
        data: { sku, categoryPath: categories.get(sku), price: { amount: prices.get(sku) ?? '1', currency: currency(tenant) } },
      });
    }
  }
  const catalogueOffsets = partitions.map((events) => events.length);

  // Each user's clock moves on by seconds within a visit and by hours or days between visits.
  const clocks = new Map<string, number>();
  let lastTimeMs = start;
  let stockClock = start;
  for (let n = 0; n < options.events; n++) {
    const roll = random();
    if (roll < 0.1) {
      stockClock += between(1, 120) * 60_000;
      const sku = pick(skus);
      const store = pick(stores);
      const tenant = random() < 0.8 ? 'default' : 'acme';
      const time = iso(stockClock);
      lastTimeMs = Math.max(lastTimeMs, stockClock);
      if (roll < 0.03) {
        prices.set(sku, `${between(1, 120)}.${String(between(0, 99)).padStart(2, '0')}`);
        const price = { amount: prices.get(sku) ?? '1', currency: currency(tenant) };
        emit(EventType.CatalogItemUpserted, { tenant, time, data: { sku, categoryPath: categories.get(sku), price } });
      } else if (roll < 0.07) {
        // A count taken up to 30 minutes before it is published; the millisecond keeps counts apart.
        const asOf = stockClock - between(0, 30) * 60_000 - (n % 1000);
        emit(EventType.InventorySnapshotTaken, { tenant, time, data: { sku, store, onHand: between(0, 40), onOrder: between(0, 20), asOf: iso(asOf) } });
      } else {
        emit(EventType.GoodsReceived, { tenant, time, data: { sku, store, quantity: between(1, 20), purchaseOrderId: `po-${n}` } });
      }
      continue;
    }
    const tenant = random() < 0.85 ? 'default' : 'acme';
    const userId = pick(users);
    const clockKey = `${tenant}/${userId}`;
    const gap = random() < 0.7 ? between(5, 600) * 1000 : between(1, 72) * 3_600_000;
    const clock = (clocks.get(clockKey) ?? start + between(0, 48) * 3_600_000) + gap;
    clocks.set(clockKey, clock);
    // Some events arrive late: their time is up to two hours before the user's previous one.
    const timeMs = random() < 0.05 ? clock - between(1, 120) * 60_000 : clock;
    lastTimeMs = Math.max(lastTimeMs, timeMs);
    const context = { userId, sessionId: `s-${userId}`, channel: 'web' as const };
    const time = iso(timeMs);
    const sku = pick(skus);
    const kind = random();
    if (kind < 0.45) emit(EventType.ProductViewed, { tenant, time, data: { ...context, sku } });
    else if (kind < 0.55) emit(EventType.CartItemAdded, { tenant, time, data: { ...context, sku, quantity: between(1, 3) } });
    else if (kind < 0.58) emit(EventType.CartItemRemoved, { tenant, time, data: { ...context, sku, quantity: 1 } });
    else if (kind < 0.65) {
      const items = Array.from({ length: between(1, 3) }, () => {
        const line = pick(skus);
        return { sku: line, quantity: between(1, 3), unitPrice: { amount: prices.get(line) ?? '1', currency: currency(tenant) } };
      });
      emit(EventType.OrderPlaced, { tenant, time, data: { ...context, orderId: `o-${n}`, store: random() < 0.7 ? pick(stores) : undefined, items } });
    } else if (kind < 0.72) emit(EventType.SearchPerformed, { tenant, time, data: { ...context, query: 'q', resultsCount: 3 } });
    else if (kind < 0.76) emit(EventType.ProductFavorited, { tenant, time, data: { ...context, sku } });
    else if (kind < 0.86) {
      const served = [...new Set(Array.from({ length: between(1, 5) }, () => pick(skus)))];
      emit(EventType.RecommendationServed, {
        tenant,
        time,
        data: { ...context, recommendationId: `r-${n}`, items: served.map((s, i) => ({ sku: s, position: i + 1, score: 1 / (i + 1) })) },
      });
    } else emit(EventType.RecommendationClicked, { tenant, time, data: { ...context, recommendationId: `r-${n}`, sku, position: 1 } });
  }

  return {
    partitions: partitions.map((events, partition) => events.map((e, offset) => ({ event: e, topic: EVENTS_TOPIC, partition, offset: String(offset) }))),
    catalogueOffsets,
    catalogue: { categories },
    lastTimeMs,
    tenants,
    users,
    skus,
    stores,
  };
}
