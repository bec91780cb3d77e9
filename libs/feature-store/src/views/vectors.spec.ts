import type { RedisClient } from '../client';
import { readItemViews, readUserViews, type ItemFeatureView, type UserFeatureView } from './read-views';
import { DAY_MS } from './settings';
import {
  emptyItemView,
  emptyUserView,
  ITEM_FEATURE_NAMES,
  itemFeatureVector,
  NEVER_DAYS,
  USER_FEATURE_NAMES,
  USER_ITEM_FEATURE_NAMES,
  userFeatureVector,
  userItemFeatures,
} from './vectors';

const AS_OF = '2024-05-10T12:00:00.000Z';
const daysBefore = (days: number) => new Date(Date.parse(AS_OF) - days * DAY_MS).toISOString();

function user(overrides: Partial<UserFeatureView> = {}): UserFeatureView {
  return { ...emptyUserView('default', 'user-1001', AS_OF), known: true, ...overrides };
}

function item(overrides: Partial<ItemFeatureView> = {}): ItemFeatureView {
  return { ...emptyItemView('default', 'SKU-1', AS_OF), known: true, ...overrides };
}

/** A Redis whose every key is missing: hashes read {}, lists and sorted sets []. */
const emptyRedis = {
  pipeline() {
    const replies: unknown[] = [];
    const pipeline = {
      hgetall: () => (replies.push({}), pipeline),
      zrevrange: () => (replies.push([]), pipeline),
      lrange: () => (replies.push([]), pipeline),
      exec: async () => replies.map((reply) => [null, reply]),
    };
    return pipeline;
  },
} as unknown as RedisClient;

const allFinite = (vector: Record<string, number>) => Object.values(vector).every(Number.isFinite);

describe('empty views', () => {
  it('equal what the store reads for an unknown user and item', async () => {
    const [stored] = await readUserViews(emptyRedis, ['user-1001'], { asOf: AS_OF, tenant: 'acme' });
    expect(emptyUserView('acme', 'user-1001', AS_OF)).toEqual(stored);
    const [storedItem] = await readItemViews(emptyRedis, ['SKU-1'], { asOf: AS_OF, tenant: 'acme' });
    expect(emptyItemView('acme', 'SKU-1', AS_OF)).toEqual(storedItem);
  });
});

describe('feature names', () => {
  it('are the keys of every vector, in order, without duplicates', () => {
    const vectors = [
      [USER_FEATURE_NAMES, userFeatureVector(user())],
      [ITEM_FEATURE_NAMES, itemFeatureVector(item())],
      [USER_ITEM_FEATURE_NAMES, userItemFeatures(user(), item(), 'SKU-1')],
    ] as const;
    for (const [names, vector] of vectors) {
      expect(Object.keys(vector)).toEqual(names);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('keep cross features apart from user features by their x. prefix', () => {
    expect(USER_ITEM_FEATURE_NAMES.every((name) => name.startsWith('x.'))).toBe(true);
    expect(USER_FEATURE_NAMES.some((name) => name.startsWith('x.'))).toBe(false);
  });

  // A changed layout must come with a new FEATURE_VECTOR_VERSION; this pins version 1.
  it('have the layout of version 1', () => {
    expect(USER_FEATURE_NAMES).toHaveLength(1 + 32 + 8 + 8 + 5 + 4 + 1 + 2);
    expect(USER_FEATURE_NAMES.slice(0, 3)).toEqual(['known', 'count.view.1h', 'count.view.24h']);
    expect(ITEM_FEATURE_NAMES).toHaveLength(1 + 8 + 8 + 3 + 2 + 3 + 2 + 4);
    expect(ITEM_FEATURE_NAMES.slice(-2)).toEqual(['coPurchased.count', 'coPurchased.top']);
  });
});

describe('userFeatureVector', () => {
  it('is all zeros for an unknown user, but for "never" day counts', () => {
    const vector = userFeatureVector(emptyUserView('default', 'user-1001', AS_OF));
    const nonZero = Object.entries(vector).filter(([, value]) => value !== 0);
    expect(Object.fromEntries(nonZero)).toEqual({
      ...Object.fromEntries(['view', 'cart', 'uncart', 'order', 'search', 'favorite', 'impression', 'click'].map((a) => [`lastSeen.${a}.days`, NEVER_DAYS])),
      'rfm.recencyDays': NEVER_DAYS,
    });
  });

  it('flattens counts, decay, recency, RFM, session, recent items and affinity', () => {
    const view = user({
      counts: { ...user().counts, view: { '1h': 2, '24h': 5, '7d': 9, '30d': 20 } },
      decayedCounts: { ...user().decayedCounts, cart: 1.5 },
      lastSeen: { ...user().lastSeen, view: daysBefore(0.5), order: daysBefore(3) },
      rfm: { recencyDays: 3, frequency: 4, monetary: { EUR: '120.5000', USD: '30.25' }, firstOrderAt: daysBefore(40), lastOrderAt: daysBefore(3) },
      session: { startedAt: daysBefore(0.01), lastEventAt: AS_OF, events: 7, durationMs: 90_000, items: ['SKU-1', 'SKU-2'] },
      recentItems: [
        { sku: 'SKU-1', activity: 'view', at: AS_OF },
        { sku: 'SKU-2', activity: 'cart', at: AS_OF },
      ],
      categoryAffinity: [
        { path: ['Sports'], weight: 4.5 },
        { path: ['Sports', 'Running'], weight: 2 },
      ],
    });
    expect(userFeatureVector(view)).toMatchObject({
      known: 1,
      'count.view.1h': 2,
      'count.view.24h': 5,
      'count.view.7d': 9,
      'count.view.30d': 20,
      'count.cart.1h': 0,
      'decayed.cart': 1.5,
      'decayed.view': 0,
      'lastSeen.view.days': 0.5,
      'lastSeen.order.days': 3,
      'lastSeen.cart.days': NEVER_DAYS,
      'rfm.hasOrdered': 1,
      'rfm.recencyDays': 3,
      'rfm.tenureDays': 40,
      'rfm.frequency': 4,
      // The largest per-currency total, not a sum across currencies.
      'rfm.monetary': 120.5,
      'session.active': 1,
      'session.events': 7,
      'session.durationMin': 1.5,
      'session.items': 2,
      'recent.count': 2,
      'affinity.categories': 2,
      'affinity.top': 4.5,
    });
  });

  it('caps day counts at NEVER_DAYS and keeps events after asOf at 0 days', () => {
    const view = user({
      lastSeen: { ...user().lastSeen, view: daysBefore(5000), cart: daysBefore(-1) },
      rfm: { recencyDays: 5000, frequency: 1, monetary: {}, firstOrderAt: daysBefore(5000), lastOrderAt: daysBefore(5000) },
    });
    expect(userFeatureVector(view)).toMatchObject({
      'lastSeen.view.days': NEVER_DAYS,
      'lastSeen.cart.days': 0,
      'rfm.recencyDays': NEVER_DAYS,
      'rfm.tenureDays': NEVER_DAYS,
      'rfm.monetary': 0,
    });
  });

  it('never yields NaN or Infinity, even from bad input', () => {
    const view = user({
      asOf: 'not a time',
      decayedCounts: { ...user().decayedCounts, view: Number.NaN, cart: Number.POSITIVE_INFINITY },
      lastSeen: { ...user().lastSeen, view: 'garbage' },
      rfm: { recencyDays: Number.NaN, frequency: 1, monetary: { EUR: 'abc' }, firstOrderAt: 'x', lastOrderAt: 'x' },
      categoryAffinity: [{ path: ['A'], weight: Number.POSITIVE_INFINITY }],
    });
    const vector = userFeatureVector(view);
    expect(allFinite(vector)).toBe(true);
    expect(vector['decayed.view']).toBe(0);
    expect(vector['lastSeen.view.days']).toBe(NEVER_DAYS);
    expect(vector['rfm.recencyDays']).toBe(NEVER_DAYS);
  });
});

describe('itemFeatureVector', () => {
  it('is all zeros for an unknown item', () => {
    const vector = itemFeatureVector(emptyItemView('default', 'SKU-1', AS_OF));
    expect(Object.values(vector).every((value) => value === 0)).toBe(true);
  });

  it('flattens popularity, totals, conversion, catalogue, stock and neighbours', () => {
    const view = item({
      popularity: { ...item().popularity, view: 10.5, cart: 2.1 },
      totals: { ...item().totals, view: 14, units: 6 },
      conversion: { viewToCart: 0.2, viewToPurchase: 0.05 },
      price: { amount: '89.9000', currency: 'EUR' },
      categoryPath: ['Sports', 'Running', 'Shoes'],
      active: true,
      catalogUpdatedAt: daysBefore(2),
      availability: { 'store-1': 4, 'store-2': 0, 'store-3': 7 },
      coViewed: [
        { sku: 'SKU-2', weight: 3 },
        { sku: 'SKU-3', weight: 1 },
      ],
      coPurchased: [{ sku: 'SKU-4', weight: 0.5 }],
    });
    expect(itemFeatureVector(view)).toMatchObject({
      known: 1,
      'popularity.view': 10.5,
      'popularity.cart': 2.1,
      'popularity.order': 0,
      'total.view': 14,
      'total.units': 6,
      'conversion.known': 1,
      'conversion.viewToCart': 0.2,
      'conversion.viewToPurchase': 0.05,
      'price.known': 1,
      price: 89.9,
      'catalog.known': 1,
      active: 1,
      'category.depth': 3,
      'availability.stores': 2,
      'availability.units': 11,
      'coViewed.count': 2,
      'coViewed.top': 3,
      'coPurchased.count': 1,
      'coPurchased.top': 0.5,
    });
  });

  it('marks unknown conversion and price with flags, and an inactive item with 0', () => {
    const vector = itemFeatureVector(item({ active: false, catalogUpdatedAt: AS_OF, price: { amount: 'n/a', currency: 'EUR' } }));
    expect(vector).toMatchObject({ 'conversion.known': 0, 'conversion.viewToCart': 0, 'price.known': 0, price: 0, 'catalog.known': 1, active: 0 });
  });

  it('never yields NaN or Infinity', () => {
    const view = item({
      popularity: { ...item().popularity, view: Number.NaN },
      conversion: { viewToCart: Number.POSITIVE_INFINITY, viewToPurchase: Number.NaN },
      availability: { 'store-1': Number.NaN },
      coViewed: [{ sku: 'SKU-2', weight: Number.NEGATIVE_INFINITY }],
    });
    expect(allFinite(itemFeatureVector(view))).toBe(true);
  });
});

describe('userItemFeatures', () => {
  const shopper = user({
    categoryAffinity: [
      { path: ['Sports'], weight: 6 },
      { path: ['Sports', 'Running'], weight: 4 },
      { path: ['Home'], weight: 1 },
    ],
    recentItems: [
      { sku: 'SKU-1', activity: 'view', at: AS_OF },
      { sku: 'SKU-9', activity: 'view', at: AS_OF },
      { sku: 'SKU-1', activity: 'cart', at: AS_OF },
    ],
    session: { startedAt: AS_OF, lastEventAt: AS_OF, events: 1, durationMs: 0, items: ['SKU-9'] },
  });

  it('weighs the exact category path and the top-level category', () => {
    expect(userItemFeatures(shopper, item({ categoryPath: ['Sports', 'Running'] }), 'SKU-1')).toEqual({
      'x.affinity.itemCategory': 4,
      'x.affinity.itemRootCategory': 6,
      'x.recent.seenItem': 1,
      'x.recent.itemInteractions': 2,
      'x.session.seenItem': 0,
    });
  });

  it('gives 0 for a category outside the top ones, or an item without one', () => {
    expect(userItemFeatures(shopper, item({ categoryPath: ['Sports', 'Swimming'] }), 'SKU-9')).toMatchObject({
      'x.affinity.itemCategory': 0,
      'x.affinity.itemRootCategory': 6,
      'x.recent.itemInteractions': 1,
      'x.session.seenItem': 1,
    });
    expect(userItemFeatures(shopper, item(), 'SKU-2')).toEqual(Object.fromEntries(USER_ITEM_FEATURE_NAMES.map((name) => [name, 0])));
  });

  it("defaults the SKU to the item view's", () => {
    expect(userItemFeatures(shopper, item({ sku: 'SKU-9' }))['x.session.seenItem']).toBe(1);
  });
});
