import { Redis } from 'ioredis';
import { EventType } from '@storeloop/contracts';
import { DisposableRedis } from '@storeloop/testing';
import {
  DAY_MS,
  DEFAULT_FEATURE_SETTINGS,
  HOUR_MS,
  applyEventBatch,
  eraseUser,
  hashedUserId,
  isUserErased,
  itemKeys,
  readItemViews,
  readSkuStoreViews,
  readStoredOffsets,
  readUserViews,
  skuStoreKeys,
  userKeys,
  allUserKeys,
  type SourcedEvent,
} from '../src';
import { EVENTS_TOPIC, event, sourced } from './support/events';
import { T, catalogue, countAt, everything, iso, shopper, stock, t0, t1, t2, t3, t4, u1, u2, u2OrderAt } from './support/scenario';
import { keyspaceSnapshot, memoryUsage } from './support/keyspace';

const NAMESPACE = 'features-test';
const { activityHalfLifeMs: H_ACTIVITY, popularityHalfLifeMs: H_POPULARITY, affinityHalfLifeMs: H_AFFINITY, neighbourHalfLifeMs: H_NEIGHBOUR } =
  DEFAULT_FEATURE_SETTINGS;
const decay = (atMs: number, halfLifeMs: number) => 2 ** (-(T - atMs) / halfLifeMs);

describe('feature views on a real redis-server', () => {
  let server: DisposableRedis;
  let redis: Redis;
  let other: Redis;
  /** Without a key prefix: sees keys as stored. */
  let plain: Redis;

  beforeAll(async () => {
    server = await DisposableRedis.create();
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    redis = new Redis(server.url(15), { keyPrefix: 'sl:' });
    other = new Redis(server.url(14), { keyPrefix: 'sl:' });
    plain = new Redis(server.url(15));
    await redis.flushall();
  });
  afterEach(() => {
    redis.disconnect();
    other.disconnect();
    plain.disconnect();
  });

  const apply = (client: Redis, events: SourcedEvent[]) => applyEventBatch(client, events, { offsetNamespace: NAMESPACE });
  async function snapshot(db: number) {
    const client = new Redis(server.url(db));
    try {
      return await keyspaceSnapshot(client);
    } finally {
      client.disconnect();
    }
  }
  const keysWith = async (text: string) => (await plain.keys('*')).filter((key) => key.includes(text));

  it('computes the user view by hand: windows, decay, last seen, RFM, affinity, recent items, session', async () => {
    await apply(redis, catalogue);
    await apply(redis, [...u1, ...u2, ...stock]);
    const [view, unknown] = await readUserViews(redis, ['u1', 'nobody'], { asOf: T });

    expect(view.known).toBe(true);
    expect(view.counts.view).toEqual({ '1h': 1, '24h': 2, '7d': 2, '30d': 3 });
    expect(view.counts.cart).toEqual({ '1h': 1, '24h': 1, '7d': 1, '30d': 1 });
    expect(view.counts.order).toEqual({ '1h': 1, '24h': 1, '7d': 1, '30d': 1 });
    expect(view.counts.search).toEqual({ '1h': 0, '24h': 0, '7d': 0, '30d': 0 });
    expect(view.decayedCounts.view).toBeCloseTo(decay(t0, H_ACTIVITY) + decay(t1, H_ACTIVITY) + decay(t2, H_ACTIVITY), 12);
    // 7 d 30 s, 59 min 31 s and 59 min 30 s before asOf.
    expect(view.decayedCounts.view).toBeCloseTo(2 ** -(1 + 30_000 / H_ACTIVITY) + 2 ** (-3_571_000 / H_ACTIVITY) + 2 ** (-3_570_000 / H_ACTIVITY), 12);
    expect(view.lastSeen).toMatchObject({ view: iso(t2), cart: iso(t3), order: iso(t4), search: null });
    expect(view.rfm).toEqual({
      recencyDays: (15 * 60_000 + 30_000) / DAY_MS,
      frequency: 1,
      monetary: { EUR: '129.88' },
      firstOrderAt: iso(t4),
      lastOrderAt: iso(t4),
    });
    // A is in Sports > Running > Shoes; B has no catalogue entry, so B's interactions credit nothing.
    const sports = decay(t0, H_AFFINITY) + decay(t1, H_AFFINITY) + 5 * decay(t4, H_AFFINITY);
    expect(view.categoryAffinity.map(({ path }) => path.length).sort()).toEqual([1, 2, 3]);
    for (const { weight } of view.categoryAffinity) expect(weight).toBeCloseTo(sports, 12);
    expect(view.recentItems).toEqual([
      { sku: 'A', activity: 'order', at: iso(t4) },
      { sku: 'B', activity: 'order', at: iso(t4) },
      { sku: 'B', activity: 'cart', at: iso(t3) },
      { sku: 'B', activity: 'view', at: iso(t2) },
      { sku: 'A', activity: 'view', at: iso(t1) },
      { sku: 'A', activity: 'view', at: iso(t0) },
    ]);
    // t0 is a week before t1, so the session opened at t1.
    expect(view.session).toEqual({ startedAt: iso(t1), lastEventAt: iso(t4), events: 4, durationMs: t4 - t1, items: ['A', 'B'] });
    expect(unknown).toMatchObject({ known: false, session: null, segmentId: null, recentItems: [], categoryAffinity: [] });
    expect(unknown.rfm).toEqual({ recencyDays: null, frequency: 0, monetary: {}, firstOrderAt: null, lastOrderAt: null });

    // Half an hour and one second after the last event the session is over.
    const [later] = await readUserViews(redis, ['u1'], { asOf: t4 + DEFAULT_FEATURE_SETTINGS.sessionGapMs + 1 });
    expect(later.session).toBeNull();
  });

  it('computes item and SKU x store views by hand: popularity, conversion, catalogue, neighbours, stock, demand', async () => {
    await apply(redis, everything);
    const [a, b] = await readItemViews(redis, ['A', 'B'], { asOf: T });

    expect(a.totals).toEqual({ view: 2, cart: 0, uncart: 0, order: 2, units: 4, favorite: 0, impression: 0, click: 0 });
    expect(a.popularity.view).toBeCloseTo(decay(t0, H_POPULARITY) + decay(t1, H_POPULARITY), 12);
    expect(a.popularity.units).toBeCloseTo(decay(t4, H_POPULARITY) + 3 * decay(u2OrderAt, H_POPULARITY), 12);
    expect(a.price).toEqual({ amount: '89.90', currency: 'EUR' });
    expect(a.categoryPath).toEqual(['Sports', 'Running', 'Shoes']);
    expect(a.active).toBe(true);
    expect(a.catalogUpdatedAt).toBe('2024-04-01T00:00:00.000Z');
    // Counted 10 at 11:00; the 3 sold on Apr 29 are in the count; then 1 sold at 11:45 and 5 received at 11:50.
    expect(a.availability).toEqual({ 'store-1': 14 });
    expect(a.coViewed).toEqual([{ sku: 'B', weight: expect.closeTo(decay(t2, H_NEIGHBOUR), 12) }]);
    expect(a.coPurchased).toEqual([{ sku: 'B', weight: expect.closeTo(decay(t4, H_NEIGHBOUR), 12) }]);

    expect(b.totals).toMatchObject({ view: 1, cart: 1, order: 1, units: 2 });
    expect(b.conversion.viewToCart).toBeCloseTo(decay(t3, H_POPULARITY) / decay(t2, H_POPULARITY), 12);
    expect(b.conversion.viewToPurchase).toBeCloseTo(decay(t4, H_POPULARITY) / decay(t2, H_POPULARITY), 12);
    expect(b).toMatchObject({ price: null, categoryPath: null, active: null, availability: { 'store-1': 0 } });
    expect(b.coViewed).toEqual([{ sku: 'A', weight: expect.closeTo(decay(t2, H_NEIGHBOUR), 12) }]);
    expect(a.conversion).toEqual({ viewToCart: 0, viewToPurchase: expect.any(Number) });

    const [stockA, unknown] = await readSkuStoreViews(redis, [{ sku: 'A', store: 'store-1' }, { sku: 'A', store: 'store-9' }], { asOf: T });
    expect(stockA.dailyUnitsSold).toHaveLength(400);
    expect(stockA.dailyUnitsSold.slice(-3)).toEqual([3, 0, 1]);
    expect(stockA.dailyUnitsSold.slice(0, -3).every((units) => units === 0)).toBe(true);
    expect(stockA).toMatchObject({ onHand: 14, onOrder: 0, lastCountAt: iso(countAt), known: true });
    // Completed days from the first sale: [3, 0]; alpha 0.1: mean 3 - 0.3 = 2.7, variance 0.9 (0 + 0.1 * 9) = 0.81.
    expect(stockA.demand.mean).toBeCloseTo(2.7, 12);
    expect(stockA.demand.variance).toBeCloseTo(0.81, 12);
    expect(stockA.demand).toMatchObject({ alpha: 0.1, days: 2 });
    expect(unknown).toMatchObject({ known: false, onHand: 0, onOrder: 0, lastCountAt: null, demand: { mean: 0, variance: 0, days: 0 } });
  });

  it('gives the same store whatever the order of stock events across partitions', async () => {
    await apply(redis, everything);
    await apply(other, [...stock, ...u2, ...catalogue, ...u1]);
    expect(await readSkuStoreViews(other, [{ sku: 'A', store: 'store-1' }], { asOf: T })).toEqual(
      await readSkuStoreViews(redis, [{ sku: 'A', store: 'store-1' }], { asOf: T }),
    );
  });

  it('applies a batch twice, or in overlapping redeliveries, exactly as once', async () => {
    const once = await apply(other, everything);
    expect(once).toMatchObject({ events: 9, skipped: 0, erasedUsers: 0 });

    const first = await apply(redis, everything);
    const again = await apply(redis, everything);
    expect(first.applied).toBe(once.applied);
    expect(again.applied).toBe(0);
    expect(again.skipped).toBeGreaterThanOrEqual(everything.length);
    expect(await snapshot(15)).toEqual(await snapshot(14));

    await redis.flushdb();
    await apply(redis, [...catalogue, ...u1.slice(0, 2)]);
    await apply(redis, [...u1.slice(1, 4), ...stock.slice(0, 1)]);
    await apply(redis, [...u1.slice(0, 3), ...u2]);
    await apply(redis, everything);
    await apply(redis, u1.slice(2));
    expect(await snapshot(15)).toEqual(await snapshot(14));
  });

  it('gives the same store when two consumers apply overlapping batches at the same time (a rebalance)', async () => {
    await apply(other, everything);
    const zombie = new Redis(server.url(15), { keyPrefix: 'sl:' });
    try {
      // Each batch starts where every earlier event of its partitions is applied, as a consumer seeking to the stored offsets does.
      await Promise.all([apply(redis, everything), apply(zombie, [...catalogue, ...u1.slice(0, 3), ...stock.slice(0, 1)]), apply(redis, [...u1, ...u2])]);
    } finally {
      zombie.disconnect();
    }
    expect(await snapshot(15)).toEqual(await snapshot(14));
  });

  it('stores the next offset of every partition, never moving one back', async () => {
    const result = await apply(redis, [...u1.slice(0, 3), ...stock]);
    expect(result.nextOffsets).toEqual([
      { topic: EVENTS_TOPIC, partition: 0, offset: '3' },
      { topic: EVENTS_TOPIC, partition: 2, offset: '3' },
    ]);
    expect(await readStoredOffsets(redis, NAMESPACE, EVENTS_TOPIC)).toEqual(new Map([[0, '3'], [2, '3']]));
    await apply(redis, [...u1, ...u2]);
    await apply(redis, u1.slice(0, 2));
    expect(await readStoredOffsets(redis, NAMESPACE, EVENTS_TOPIC)).toEqual(new Map([[0, '5'], [1, '1'], [2, '3']]));
    expect(await readStoredOffsets(redis, 'another-group', EVENTS_TOPIC)).toEqual(new Map());

    // Offsets beyond 2^53 stay exact.
    const far = { ...u1[0], partition: 3, offset: '9007199254740993' };
    await apply(redis, [far, { ...far, offset: '9007199254740992' }]);
    expect((await readStoredOffsets(redis, NAMESPACE, EVENTS_TOPIC)).get(3)).toBe('9007199254740994');
    expect((await redis.hget(userKeys('default', 'u1').main, `@${EVENTS_TOPIC}:3`))).toBe('9007199254740993');
  });

  it('reads every view in one round trip: one pipeline write, the expected commands', async () => {
    await apply(redis, everything);
    const monitor = await plain.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
    try {
      await redis.ping();
      const write = jest.spyOn(redis.stream, 'write');
      await readUserViews(redis, ['u1', 'u2', 'nobody'], { asOf: T });
      expect(write).toHaveBeenCalledTimes(1);
      await readItemViews(redis, ['A', 'B'], { asOf: T });
      expect(write).toHaveBeenCalledTimes(2);
      await readSkuStoreViews(redis, [{ sku: 'A', store: 'store-1' }], { asOf: T });
      expect(write).toHaveBeenCalledTimes(3);
      write.mockRestore();
      await redis.echo('done');
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 50));
      monitor.disconnect();
    }
    const read = commands.slice(commands.findIndex((command) => command === 'ping') + 1, commands.findIndex((command) => command.startsWith('echo')));
    expect(read.map((command) => command.split(' ')[0])).toEqual([
      ...Array(3).fill(['hgetall', 'hgetall', 'zrevrange', 'lrange', 'lrange']).flat(),
      ...Array(2).fill(['hgetall', 'zrevrange', 'zrevrange', 'hgetall']).flat(),
      'hgetall',
    ]);
    expect(read[0]).toBe('hgetall sl:default:{u:u1}');
  });

  it('applies a batch in few round trips: read, items, users, erasure check, offsets', async () => {
    await apply(redis, catalogue);
    await redis.ping();
    const write = jest.spyOn(redis.stream, 'write');
    await apply(redis, [...u1, ...u2, ...stock]);
    expect(write).toHaveBeenCalledTimes(5);
    write.mockClear();
    await apply(redis, stock);
    // Stock only: no user to read or check.
    expect(write).toHaveBeenCalledTimes(2);
    write.mockRestore();
  });

  it('erases a user: no key holds the id, the hashed id is recorded, later events are ignored', async () => {
    await apply(redis, everything);
    const itemsBefore = await readItemViews(redis, ['A', 'B'], { asOf: T });
    await eraseUser(redis, 'u1');

    const keys = await plain.keys('*');
    expect(await keysWith('u1')).toEqual([]);
    expect(keys).toContain('sl:default:{u:u2}');
    expect(await redis.smembers('default:{erased-users}')).toEqual([hashedUserId('u1')]);
    expect(await isUserErased(redis, 'u1')).toBe(true);
    expect(await isUserErased(redis, 'u2')).toBe(false);
    // Item aggregates keep what u1 contributed: they hold no per-user data.
    expect(await readItemViews(redis, ['A', 'B'], { asOf: T })).toEqual(itemsBefore);

    const late = [sourced(0, 10, event(EventType.ProductViewed, { time: iso(T), data: { ...shopper('u1'), sku: 'A' } }))];
    expect(await apply(redis, late)).toMatchObject({ applied: 0, skipped: 1 });
    expect(await keysWith('u1')).toEqual([]);
    const [view] = await readUserViews(redis, ['u1'], { asOf: T });
    expect(view.known).toBe(false);
  });

  it('erases through an erasure request in a batch, and catches a user erased while a batch was applied', async () => {
    await apply(redis, everything);
    const request = sourced(0, 0, event(EventType.UserErasureRequested, { data: { userId: 'u2' } }), 'retail.privacy.v1');
    expect(await apply(redis, [request])).toMatchObject({ erasedUsers: 1 });
    expect(await keysWith('u2')).toEqual([]);
    expect(await readStoredOffsets(redis, NAMESPACE, 'retail.privacy.v1')).toEqual(new Map([[0, '1']]));

    // An erasure that lands after the batch's first read: the check after writing finds it and deletes the keys.
    const createPipeline = redis.pipeline.bind(redis);
    let pipelines = 0;
    const spy = jest.spyOn(redis, 'pipeline').mockImplementation(() => {
      const pipeline = createPipeline();
      if (++pipelines === 2) {
        const exec = pipeline.exec.bind(pipeline);
        pipeline.exec = async () => {
          await eraseUser(redis, 'u3', { tenant: 'default' });
          return exec();
        };
      }
      return pipeline;
    });
    const u3 = [sourced(5, 0, event(EventType.ProductViewed, { data: { ...shopper('u3'), sku: 'A' } }))];
    const result = await apply(redis, u3);
    spy.mockRestore();
    expect(result.erasedUsers).toBe(1);
    expect(await plain.keys('*{u:u3}*')).toEqual([]);
    expect(await plain.sismember('sl:default:{erased-users}', hashedUserId('u3'))).toBe(1);
  });

  it('expires user keys after the configured idle time and keeps item keys', async () => {
    await apply(redis, everything);
    for (const key of allUserKeys(userKeys('default', 'u1'))) {
      const ttl = await redis.pttl(key);
      if (ttl !== -2) expect(ttl).toBeGreaterThan(DEFAULT_FEATURE_SETTINGS.userTtlMs - 60_000);
    }
    expect(await redis.pttl(itemKeys('default', 'A').main)).toBe(-1);
    expect(await redis.pttl(skuStoreKeys('default', 'A', 'store-1').stock)).toBe(-1);
  });

  it('rebases forward-decayed weights far from their landmark without changing them', async () => {
    const settings = { affinityHalfLifeMs: HOUR_MS };
    const views = [0, 40, 100, 160].map((hours, offset) =>
      sourced(0, offset, event(EventType.ProductViewed, { time: iso(T + hours * HOUR_MS), data: { ...shopper('u9'), sku: 'A' } })),
    );
    await applyEventBatch(redis, [...catalogue, ...views], { offsetNamespace: NAMESPACE, settings });
    const asOf = T + 161 * HOUR_MS;
    const [view] = await readUserViews(redis, ['u9'], { asOf, settings });
    const expected = [0, 40, 100, 160].reduce((sum, hours) => sum + 2 ** (-(161 - hours)), 0);
    for (const { weight } of view.categoryAffinity) expect(weight / expected).toBeCloseTo(1, 12);
    // The landmark moved on (160 h is past 64 half-lives from the first view).
    expect(Number(await redis.hget(userKeys('default', 'u9').main, 'L|aff'))).toBe(T + 100 * HOUR_MS);
  });

  it('keeps memory per entity small (measured for a typical month of one user and one popular item)', async () => {
    const paths = [['Sports', 'Running', 'Shoes'], ['Sports', 'Cycling'], ['Home', 'Kitchen', 'Pans'], ['Home', 'Bath'], ['Garden', 'Tools']];
    const events: SourcedEvent[] = Array.from({ length: 40 }, (_, n) =>
      sourced(2, n, event(EventType.CatalogItemUpserted, { time: iso(T - 60 * DAY_MS), data: { sku: `SKU-${n}`, categoryPath: paths[n % paths.length] } })),
    );
    let offset = 0;
    const day = (n: number, minute: number) => iso(T - (30 - n) * DAY_MS + minute * 60_000);
    // A shopper active on 10 days of the month: 10 views, 2 carts, 2 searches a visit, an order every other visit.
    for (let visit = 0; visit < 10; visit++) {
      const t = (minute: number) => day(visit * 3, minute);
      const typical = shopper('typical');
      const sku = (n: number) => `SKU-${(visit * 7 + n) % 40}`;
      for (let v = 0; v < 10; v++) events.push(sourced(0, offset++, event(EventType.ProductViewed, { time: t(v), data: { ...typical, sku: sku(v) } })));
      for (let c = 0; c < 2; c++) events.push(sourced(0, offset++, event(EventType.CartItemAdded, { time: t(10 + c), data: { ...typical, sku: sku(c) } })));
      for (let s = 0; s < 2; s++) events.push(sourced(0, offset++, event(EventType.SearchPerformed, { time: t(12 + s), data: { ...typical, query: 'shoes' } })));
      if (visit % 2 === 0) {
        const items = [{ sku: `SKU-${visit}`, quantity: 1, unitPrice: { amount: '9.99', currency: 'EUR' } }];
        events.push(sourced(0, offset++, event(EventType.OrderPlaced, { time: t(15), data: { ...typical, store: 'store-1', items } })));
      }
    }
    // A popular item: viewed with 60 others, bought with 30 others, stocked in 20 stores.
    for (let n = 0; n < 60; n++) {
      events.push(sourced(1, offset++, event(EventType.ProductViewed, { time: day(29, 2 * n), data: { ...shopper(`viewer-${n}`), sku: `OTHER-${n}` } })));
      events.push(sourced(1, offset++, event(EventType.ProductViewed, { time: day(29, 2 * n + 1), data: { ...shopper(`viewer-${n}`), sku: 'POPULAR' } })));
    }
    for (let n = 0; n < 30; n++) {
      const items = [`POPULAR`, `OTHER-${n}`].map((sku) => ({ sku, quantity: 1, unitPrice: { amount: '5', currency: 'EUR' } }));
      const data = { ...shopper(`buyer-${n}`), store: `store-${n % 20}`, items };
      events.push(sourced(1, offset++, event(EventType.OrderPlaced, { time: day(29, 200 + n), data })));
    }
    await apply(redis, events);

    const prefixed = (keys: string[]) => keys.map((key) => `sl:${key}`);
    const userBytes = await memoryUsage(plain, prefixed(allUserKeys(userKeys('default', 'typical'))));
    const item = itemKeys('default', 'POPULAR');
    const itemBytes = await memoryUsage(plain, prefixed([item.main, item.coViewed, item.coPurchased, item.availability]));
    const skuStore = skuStoreKeys('default', 'POPULAR', 'store-1');
    const skuStoreBytes = await memoryUsage(plain, prefixed([skuStore.stock, skuStore.movements]));
    // The README quotes these measurements (3,808, 3,456 and 320 bytes on Redis 7.0).
    expect(userBytes).toBeLessThan(6 * 1024);
    expect(itemBytes).toBeLessThan(6 * 1024);
    expect(skuStoreBytes).toBeLessThan(1024);
  });
});
