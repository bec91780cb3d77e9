import { createRedis, loadRedisSettings, type RedisClient } from '@storeloop/feature-store';
import { deleteRedisKeysWithPrefix, uniqueSuffix } from '@storeloop/testing';
import type { ReplenishmentOrder } from '@storeloop/contracts';
import { ReplenishmentStore, orderIdOf } from '../src/store/replenishment-store';

describe('replenishment store (real Redis)', () => {
  const url = process.env.REDIS_URL as string;
  const prefix = `it:repl-store:${uniqueSuffix()}:`;
  let redis: RedisClient;
  let store: ReplenishmentStore;

  beforeAll(() => {
    redis = createRedis(loadRedisSettings({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix }), 'it-repl-store');
    store = new ReplenishmentStore(redis, 'default', 30);
  });

  afterAll(async () => {
    redis.disconnect();
    await deleteRedisKeysWithPrefix(url, prefix);
  });

  const order = (quantity: number): ReplenishmentOrder => ({
    sku: 'SKU-{1}',
    store: 'S%1',
    quantity,
    policy: 'forecast-base-stock',
    policyVersion: 'w=28',
    forPeriod: '2024-05-02',
    createdAt: '2024-05-02T06:00:00.000Z',
    orderId: orderIdOf('default', 'SKU-{1}', 'S%1', '2024-05-02'),
  });

  it('gives a period one order: the first claim wins, a live claim is left alone, a released or dead one is taken over, a published one stays', async () => {
    const first = await store.claimOrder(order(5), 1_000, 60_000);
    expect(first).toMatchObject({ kind: 'claimed', record: { state: 'pending', order: { quantity: 5 } } });
    expect(await store.claimOrder(order(9), 2_000, 60_000)).toMatchObject({ kind: 'in-progress', record: { order: { quantity: 5 } } });
    // A produce that failed releases its claim: the next review takes it over at once.
    await store.releaseClaim(first.record);
    expect(await store.claimOrder(order(9), 3_000, 60_000)).toMatchObject({ kind: 'claimed', record: { claimedAtMs: 3_000, order: { quantity: 5 } } });
    expect(await store.claimOrder(order(9), 4_000, 60_000)).toMatchObject({ kind: 'in-progress' });
    const takeover = await store.claimOrder(order(9), 70_000, 60_000);
    expect(takeover).toMatchObject({ kind: 'claimed', record: { state: 'pending', claimedAtMs: 70_000, order: { quantity: 5 } } });
    await store.markPublished(takeover.record, '2024-05-02T06:00:01.000Z');
    expect(await store.claimOrder(order(9), 500_000, 60_000)).toMatchObject({ kind: 'published', record: { order: { quantity: 5 }, publishedAt: '2024-05-02T06:00:01.000Z' } });
    expect(await redis.pttl(store.orderKey(order(5), '2024-05-02'))).toBeGreaterThan(29 * 86_400_000);
  });

  it('reads the orders of the previous periods, counted when placed before the last count', async () => {
    const recent = await store.recentOrders({ sku: 'SKU-{1}', store: 'S%1' }, '2024-05-03', 2, Date.parse('2024-05-02T07:00:00Z'));
    expect(recent).toEqual([
      { quantity: 5, counted: true },
      { quantity: 0, counted: false },
    ]);
  });

  it('keeps the newest event time and the highest offset per pair, whatever order redeliveries come in', async () => {
    const pair = { sku: 'A', store: 'S1' };
    await store.markActive(new Map([['a', { pair, atMs: 5_000, offset: 40n }]]), 3);
    await store.markActive(new Map([['a', { pair, atMs: 1_000, offset: 12n }]]), 3);
    await store.markActive(new Map([['a', { pair, atMs: 2_000, offset: 7n }]]), 1);
    expect(await store.seenOffsets(pair)).toEqual(new Map([[3, 40n], [1, 7n]]));
    const active: { sku: string; store: string }[] = [];
    for await (const pairs of store.activePairs(4_000, 100)) active.push(...pairs);
    expect(active).toEqual([pair]);
    expect(await store.dropInactive(6_000)).toBe(1);
  });

  it('extends a lease only for its holder, and not once it lapsed and another replica took it', async () => {
    expect(await store.acquireLease('review-it', 'replica-a', 60_000)).toBe(true);
    expect(await store.acquireLease('review-it', 'replica-b', 60_000)).toBe(false);
    expect(await store.extendLease('review-it', 'replica-a', 600_000)).toBe(true);
    expect(await redis.pttl('repl:default:{lock}:review-it')).toBeGreaterThan(60_000);
    expect(await store.extendLease('review-it', 'replica-b', 600_000)).toBe(false);
    // Lapsed (expired here by hand) and taken by another replica: the first holder can no longer extend it.
    await redis.del('repl:default:{lock}:review-it');
    expect(await store.extendLease('review-it', 'replica-a', 600_000)).toBe(false);
    expect(await store.acquireLease('review-it', 'replica-b', 60_000)).toBe(true);
    expect(await store.extendLease('review-it', 'replica-a', 600_000)).toBe(false);
    await store.releaseLease('review-it', 'replica-b');
  });
});
