import { Redis } from 'ioredis';
import { DisposableRedis } from '@storeloop/testing';
import {
  applyEventBatch,
  createRedis,
  loadRedisSettings,
  type RedisClient,
  featureSettings,
  ITEM_ACTIVITIES,
  readItemViews,
  readSkuStoreViews,
  readStoredOffsets,
  readUserViews,
  SALES_DAYS,
  USER_ACTIVITIES,
  type SourcedEvent,
} from '../src';
import { EVENTS_TOPIC } from './support/events';
import { generateEventStream, seededRandom } from './support/event-stream';
import { DisposableRedisCluster } from './support/redis-cluster';
import { entityId, referenceStock, referenceViews } from './support/reference-views';

const NAMESPACE = 'ground-truth';
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const settings = featureSettings({ topCategories: 64 });

/** The client, except that its `crashAt`-th pipeline fails before sending: a process dying between two round trips. */
function crashingAt<R extends RedisClient>(redis: R, crashAt: number): R {
  let pipelines = 0;
  return new Proxy(redis, {
    get(target, property) {
      if (property === 'pipeline') {
        return () => {
          const pipeline = target.pipeline();
          if (++pipelines === crashAt) pipeline.exec = async () => Promise.reject(new Error('simulated crash'));
          return pipeline;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** JSON with object keys sorted, so that key order does not count as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** Collects every difference instead of stopping at the first, so a failure shows its extent. */
class Differences {
  readonly found: string[] = [];
  exact(label: string, actual: unknown, expected: unknown): void {
    if (canonical(actual) !== canonical(expected)) this.found.push(`${label}: ${canonical(actual)} != ${canonical(expected)}`);
  }
  close(label: string, actual: number, expected: number): void {
    if (Math.abs(actual - expected) > 1e-9 * Math.max(1, Math.abs(expected))) this.found.push(`${label}: ${actual} != ${expected}`);
  }
  closeMaps(label: string, actual: Map<string, number>, expected: Map<string, number>): void {
    this.exact(`${label} keys`, [...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [key, value] of expected) this.close(`${label} ${key}`, actual.get(key) ?? NaN, value);
  }
}

const moneyUnits = (amount: string) => {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole) * 10_000n + BigInt(fraction.padEnd(4, '0'));
};

interface Target {
  clients: [RedisClient, RedisClient];
  stop(): Promise<void>;
}

async function singleRedis(): Promise<Target> {
  const server = await DisposableRedis.create();
  await server.start();
  const clients: [RedisClient, RedisClient] = [new Redis(server.url(15), { keyPrefix: 'sl:' }), new Redis(server.url(15), { keyPrefix: 'sl:' })];
  return {
    clients,
    async stop() {
      for (const client of clients) client.disconnect();
      await server.stop();
    },
  };
}

/** A real three-master cluster, with clients built the way services build them (REDIS_CLUSTER_NODES). */
async function redisCluster(): Promise<Target> {
  const cluster = await DisposableRedisCluster.start();
  const settings = loadRedisSettings({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_KEY_PREFIX: 'sl:' });
  const clients: [RedisClient, RedisClient] = [createRedis(settings, 'ground-truth'), createRedis(settings, 'ground-truth-zombie')];
  await Promise.all(clients.map((client) => client.connect()));
  return {
    clients,
    async stop() {
      for (const client of clients) client.disconnect();
      await cluster.stop();
    },
  };
}

describe.each([
  ['a single redis-server', singleRedis],
  ['a Redis Cluster of three masters', redisCluster],
])('ground truth on %s: seeded events in random batches, with redeliveries, crashes and concurrent consumers', (_, start) => {
  let target: Target;
  let redis: RedisClient;
  let zombie: RedisClient;

  beforeAll(async () => {
    target = await start();
    [redis, zombie] = target.clients;
  });
  afterAll(async () => {
    await target.stop();
  });

  it('ends with every user, item and SKU x store counter equal to the values computed from the events', async () => {
    const stream = generateEventStream({ seed: 20240501, events: 5000, partitions: 6 });
    const random = seededRandom(7);
    const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
    const apply = (client: RedisClient, events: SourcedEvent[]) => applyEventBatch(client, events, { offsetNamespace: NAMESPACE });
    const { partitions } = stream;
    const total = partitions.reduce((sum, events) => sum + events.length, 0);
    expect(total).toBeGreaterThan(5000);

    // The catalogue first, so every interaction sees its item's category (as the reference assumes).
    await apply(redis, partitions.flatMap((events, p) => events.slice(0, stream.catalogueOffsets[p])));
    const position = [...stream.catalogueOffsets];
    const tally = { batches: 0, crashes: 0, rewinds: 0, concurrent: 0 };
    while (position.some((next, p) => next < partitions[p].length)) {
      tally.batches++;
      expect(tally.batches).toBeLessThan(5000);
      const open = partitions.map((_, p) => p).filter((p) => position[p] < partitions[p].length);
      const chosen = [...new Set([open[between(0, open.length - 1)], ...(random() < 0.3 ? [open[between(0, open.length - 1)]] : [])])];
      const slices = chosen.map((p) => ({ p, events: partitions[p].slice(position[p], position[p] + between(1, 80)) }));
      const batch = slices.flatMap(({ events }) => events);
      const roll = random();
      if (roll < 0.1) {
        // A crash before one of the round trips; the consumer restarts from the stored offsets, or earlier
        // when Kafka's committed offsets lag behind them.
        tally.crashes++;
        await apply(crashingAt(redis, between(1, 5)), batch).catch((error: Error) => expect(error.message).toMatch(/simulated crash/));
        const stored = await readStoredOffsets(redis, NAMESPACE, EVENTS_TOPIC);
        for (const p of chosen) position[p] = Math.max(0, Number(stored.get(p) ?? 0) - (random() < 0.5 ? between(0, 100) : 0));
        continue;
      }
      if (roll < 0.15) {
        // A rebalance: the old owner is still applying a batch while the new owner, having sought to the
        // stored offset, applies an overlapping one. Each starts where every earlier event is applied.
        tally.concurrent++;
        const stale = chosen.flatMap((p) => partitions[p].slice(Math.max(0, position[p] - between(0, 100)), position[p] + between(0, 100)));
        await Promise.all([apply(redis, batch), apply(zombie, stale)]);
      } else {
        await apply(redis, batch);
      }
      for (const { p, events } of slices) position[p] += events.length;
      if (random() < 0.2) {
        tally.rewinds++;
        for (const p of chosen) position[p] = Math.max(0, position[p] - between(1, 200));
      }
    }
    expect(tally.crashes).toBeGreaterThan(5);
    expect(tally.rewinds).toBeGreaterThan(5);
    expect(tally.concurrent).toBeGreaterThan(2);
    expect(await readStoredOffsets(redis, NAMESPACE, EVENTS_TOPIC)).toEqual(new Map(partitions.map((events, p) => [p, String(events.length)])));

    const asOf = stream.lastTimeMs + 60_000;
    const reference = referenceViews(partitions, stream.catalogue.categories, asOf, settings);
    const differences = new Differences();
    const read = { asOf, settings };

    for (const tenant of stream.tenants) {
      const userIds = stream.users.filter((userId) => reference.users.has(entityId(tenant, userId)));
      for (const view of await readUserViews(redis, userIds, { ...read, tenant })) {
        const expected = reference.users.get(entityId(tenant, view.userId));
        if (!expected) throw new Error('unreachable: only users of the reference are read');
        const label = `${tenant}/${view.userId}`;
        for (const activity of USER_ACTIVITIES) {
          differences.exact(`${label} counts.${activity}`, view.counts[activity], expected.counts[activity] ?? { '1h': 0, '24h': 0, '7d': 0, '30d': 0 });
          differences.close(`${label} decayed.${activity}`, view.decayedCounts[activity], expected.decayed[activity] ?? 0);
          const lastSeen = expected.lastSeen[activity];
          differences.exact(`${label} lastSeen.${activity}`, view.lastSeen[activity], lastSeen === undefined ? null : iso(lastSeen));
        }
        differences.exact(`${label} rfm.frequency`, view.rfm.frequency, expected.orders);
        differences.exact(
          `${label} rfm.monetary`,
          Object.fromEntries(Object.entries(view.rfm.monetary).map(([currency, amount]) => [currency, String(moneyUnits(amount))])),
          Object.fromEntries(Object.entries(expected.spent).map(([currency, units]) => [currency, String(units)])),
        );
        const orderTimes = [expected.firstOrder, expected.lastOrder].map((t) => (t === undefined ? null : iso(t)));
        differences.exact(`${label} rfm.orders`, [view.rfm.firstOrderAt, view.rfm.lastOrderAt], orderTimes);
        differences.exact(`${label} recent`, view.recentItems, expected.recent.map(({ sku, activity, at }) => ({ sku, activity, at: iso(at) })));
        const session = expected.session;
        differences.exact(
          `${label} session`,
          view.session,
          session
            ? {
                startedAt: iso(session.start),
                lastEventAt: iso(session.last),
                events: session.events,
                durationMs: session.last - session.start,
                items: session.items,
              }
            : null,
        );
        differences.closeMaps(`${label} affinity`, new Map(view.categoryAffinity.map(({ path, weight }) => [JSON.stringify(path), weight])), expected.affinity);
      }

      const skus = stream.skus.filter((sku) => reference.items.has(entityId(tenant, sku)));
      for (const view of await readItemViews(redis, skus, { ...read, tenant })) {
        const expected = reference.items.get(entityId(tenant, view.sku));
        if (!expected) throw new Error('unreachable: only items of the reference are read');
        const label = `${tenant}/${view.sku}`;
        for (const activity of ITEM_ACTIVITIES) {
          differences.exact(`${label} totals.${activity}`, view.totals[activity], expected.totals[activity] ?? 0);
          differences.close(`${label} popularity.${activity}`, view.popularity[activity], expected.popularity[activity] ?? 0);
        }
        differences.closeMaps(`${label} coViewed`, new Map(view.coViewed.map(({ sku, weight }) => [sku, weight])), expected.coViewed);
        differences.closeMaps(`${label} coPurchased`, new Map(view.coPurchased.map(({ sku, weight }) => [sku, weight])), expected.coPurchased);
        differences.exact(`${label} price`, view.price, expected.price ? { amount: expected.price.amount, currency: expected.price.currency } : null);
        const stocked = stream.stores.filter((store) => reference.skuStores.has(entityId(tenant, view.sku, store)));
        differences.exact(
          `${label} availability`,
          view.availability,
          Object.fromEntries(stocked.map((store) => [store, referenceStock(reference.skuStores.get(entityId(tenant, view.sku, store))!).onHand])),
        );
      }

      const pairs = stream.skus
        .flatMap((sku) => stream.stores.map((store) => ({ sku, store })))
        .filter(({ sku, store }) => reference.skuStores.has(entityId(tenant, sku, store)));
      const today = Math.floor(asOf / DAY);
      for (const view of await readSkuStoreViews(redis, pairs, { ...read, tenant })) {
        const expected = reference.skuStores.get(entityId(tenant, view.sku, view.store))!;
        const label = `${tenant}/${view.sku}/${view.store}`;
        const daily = Array.from({ length: SALES_DAYS }, (_, i) => expected.dailyUnits.get(today - SALES_DAYS + 1 + i) ?? 0);
        differences.exact(`${label} daily`, view.dailyUnitsSold, daily);
        differences.exact(`${label} stock`, { onHand: view.onHand, onOrder: view.onOrder }, referenceStock(expected));
        differences.exact(`${label} lastCountAt`, view.lastCountAt, expected.count ? iso(expected.count.asOf) : null);
      }
    }

    expect(reference.users.size).toBeGreaterThan(60);
    expect(differences.found).toEqual([]);
  });
});
