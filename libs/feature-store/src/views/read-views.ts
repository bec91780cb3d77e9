import { DEFAULT_TENANT, type Money } from '@storeloop/contracts';
import type { RedisClient } from '../client';
import {
  bucketOf,
  decayedValueAt,
  ewmaDemand,
  formatMoneyUnits,
  forwardDecayedWeight,
  rate,
  sessionIsOpen,
  stockPosition,
  windowCount,
} from './feature-math';
import { itemKeys, skuStoreKeys, userKeys } from './keys';
import { execPipelined, type PipelinedCommand } from './pipeline';
import {
  ACTIVITY_CODES,
  ACTIVITY_WINDOWS,
  DAY_MS,
  ITEM_ACTIVITIES,
  LIMITS,
  SALES_DAYS,
  USER_ACTIVITIES,
  featureSettings,
  type ActivityWindow,
  type FeatureSettings,
  type ItemActivity,
  type UserActivity,
} from './settings';

export interface ReadViewsOptions {
  /**
   * The time the views are computed as of (windows, decay, recency, open
   * session); defaults to the wall clock. Serving passes nothing; a training
   * example passes its event time and reads before applying that event.
   */
  asOf?: Date | number | string;
  tenant?: string;
  /** Must match the settings the views were applied with. */
  settings?: Partial<FeatureSettings>;
}

export type WindowedCounts = Record<ActivityWindow, number>;

export interface UserFeatureView {
  userId: string;
  tenant: string;
  asOf: string;
  /** False when Redis holds nothing for the user (new, expired or erased); every feature is then zero or empty. */
  known: boolean;
  /** Events per activity in each sliding window ending at `asOf` (see `windowCount` for the exact boundaries). */
  counts: Record<UserActivity, WindowedCounts>;
  /** Exponentially decayed event counts, half-life `activityHalfLifeMs`. */
  decayedCounts: Record<UserActivity, number>;
  /** Event time of the newest event per activity. */
  lastSeen: Record<UserActivity, string | null>;
  rfm: {
    /** Days from the newest order to `asOf`; null without orders. */
    recencyDays: number | null;
    /** Orders placed. */
    frequency: number;
    /** Total order value per currency, exact decimal strings. */
    monetary: Record<string, string>;
    firstOrderAt: string | null;
    lastOrderAt: string | null;
  };
  /** Categories by decayed weight, heaviest first; each level of a path is its own entry. */
  categoryAffinity: { path: string[]; weight: number }[];
  /** The last interactions with items, newest first. */
  recentItems: { sku: string; activity: UserActivity; at: string }[];
  /** The session open at `asOf`, or null when the last event is more than the session gap before it. */
  session: { startedAt: string; lastEventAt: string; events: number; durationMs: number; items: string[] } | null;
  /** Written by training (`segment` field of the user's main hash). */
  segmentId: string | null;
}

export interface ItemFeatureView {
  sku: string;
  tenant: string;
  asOf: string;
  known: boolean;
  /** Decayed counts per activity, half-life `popularityHalfLifeMs`. */
  popularity: Record<ItemActivity, number>;
  /** All-time counts per activity. */
  totals: Record<ItemActivity, number>;
  /** Decayed carts per decayed view and decayed order lines per decayed view; null before any view. */
  conversion: { viewToCart: number | null; viewToPurchase: number | null };
  price: Money | null;
  categoryPath: string[] | null;
  active: boolean | null;
  catalogUpdatedAt: string | null;
  /** Units on hand per store. */
  availability: Record<string, number>;
  coViewed: { sku: string; weight: number }[];
  coPurchased: { sku: string; weight: number }[];
}

export interface SkuStoreFeatureView {
  sku: string;
  store: string;
  tenant: string;
  asOf: string;
  known: boolean;
  /** Units sold per UTC day, `SALES_DAYS` entries, oldest first; the last is the day of `asOf` (so far). */
  dailyUnitsSold: number[];
  onHand: number;
  onOrder: number;
  /** `asOf` of the stock count the position starts from; null before any count (baseline zero). */
  lastCountAt: string | null;
  /** EWMA of daily units over the completed days before `asOf`'s day (see `ewmaDemand`). */
  demand: { mean: number; variance: number; alpha: number; days: number };
}

interface ReadContext {
  asOfMs: number;
  tenant: string;
  settings: FeatureSettings;
}

function readContext(options: ReadViewsOptions): ReadContext {
  const asOfMs = options.asOf === undefined ? Date.now() : new Date(options.asOf).getTime();
  if (!Number.isFinite(asOfMs)) throw new RangeError(`asOf is not a time: ${String(options.asOf)}`);
  return { asOfMs, tenant: options.tenant ?? DEFAULT_TENANT, settings: featureSettings(options.settings) };
}

const iso = (timeMs: number) => new Date(timeMs).toISOString();
const isoOrNull = (value: string | undefined) => (value === undefined ? null : iso(Number(value)));
const numberOr0 = (value: string | undefined) => (value === undefined ? 0 : Number(value));

function byActivity<A extends string, V>(activities: readonly A[], value: (activity: A) => V): Record<A, V> {
  return Object.fromEntries(activities.map((activity) => [activity, value(activity)])) as Record<A, V>;
}

/** The decayed counter `field` of a hash, as of `asOfMs`. */
function decayed(hash: Record<string, string>, field: string, asOfMs: number, halfLifeMs: number): number {
  const value = hash[field];
  return value === undefined ? 0 : decayedValueAt(Number(value), Number(hash[`${field}@`]), asOfMs, halfLifeMs);
}

/** `[member, score, ...]` of a forward-decayed sorted set, as weights as of `asOfMs`. */
function forwardDecayed(entries: string[], landmark: string | undefined, asOfMs: number, halfLifeMs: number): [string, number][] {
  const pairs: [string, number][] = [];
  for (let i = 0; i < entries.length; i += 2) {
    pairs.push([entries[i], forwardDecayedWeight(Number(entries[i + 1]), Number(landmark), asOfMs, halfLifeMs)]);
  }
  return pairs;
}

const CODE_TO_USER_ACTIVITY = new Map(USER_ACTIVITIES.map((activity) => [ACTIVITY_CODES[activity], activity]));

/** Window buckets per activity code and granularity label: `v|m|28333333` → 3. */
function parseBuckets(windows: Record<string, string>): Map<string, Map<number, number>> {
  const buckets = new Map<string, Map<number, number>>();
  for (const [field, value] of Object.entries(windows)) {
    const [code, label, bucket] = field.split('|');
    if (bucket === undefined) continue;
    const series = buckets.get(`${code}|${label}`) ?? new Map<number, number>();
    series.set(Number(bucket), Number(value));
    buckets.set(`${code}|${label}`, series);
  }
  return buckets;
}

/**
 * Feature views of users, in the order asked, in one round trip (one
 * pipeline; on a cluster one per node, sent together).
 */
export async function readUserViews(redis: RedisClient, userIds: readonly string[], options: ReadViewsOptions = {}): Promise<UserFeatureView[]> {
  const context = readContext(options);
  const { topCategories } = context.settings;
  const commands = userIds.flatMap((userId): PipelinedCommand[] => {
    const keys = userKeys(context.tenant, userId);
    return [
      { key: keys.main, queue: (p) => p.hgetall(keys.main) },
      { key: keys.windows, queue: (p) => p.hgetall(keys.windows) },
      { key: keys.affinity, queue: (p) => p.zrevrange(keys.affinity, 0, topCategories - 1, 'WITHSCORES') },
      { key: keys.recent, queue: (p) => p.lrange(keys.recent, 0, LIMITS.recentItems - 1) },
      { key: keys.session, queue: (p) => p.lrange(keys.session, 0, LIMITS.sessionItems - 1) },
    ];
  });
  const replies = await execPipelined(redis, commands);
  return userIds.map((userId, index) => {
    const [main, windows, affinity, recent, session] = replies.slice(5 * index, 5 * index + 5) as [
      Record<string, string>,
      Record<string, string>,
      string[],
      string[],
      string[],
    ];
    return userView(userId, context, { main, windows, affinity, recent, session });
  });
}

function userView(
  userId: string,
  { asOfMs, tenant, settings }: ReadContext,
  stored: { main: Record<string, string>; windows: Record<string, string>; affinity: string[]; recent: string[]; session: string[] },
): UserFeatureView {
  const { main, windows } = stored;
  const buckets = parseBuckets(windows);
  const counts = byActivity(USER_ACTIVITIES, (activity) => {
    const code = ACTIVITY_CODES[activity];
    return byActivity(Object.keys(ACTIVITY_WINDOWS) as ActivityWindow[], (name) => {
      const window = ACTIVITY_WINDOWS[name];
      return windowCount(buckets.get(`${code}|${window.label}`) ?? new Map(), window, asOfMs);
    });
  });
  const lastOrder = main['rfm|last'];
  const monetary = Object.fromEntries(
    Object.entries(main)
      .filter(([field]) => field.startsWith('rfm|m|'))
      .map(([field, units]) => [field.slice('rfm|m|'.length), formatMoneyUnits(BigInt(units))]),
  );
  const lastEventAt = main.sl === undefined ? undefined : Number(main.sl);
  const sessionOpen = lastEventAt !== undefined && sessionIsOpen(lastEventAt, asOfMs, settings.sessionGapMs);
  return {
    userId,
    tenant,
    asOf: iso(asOfMs),
    known: Object.keys(main).length > 0,
    counts,
    decayedCounts: byActivity(USER_ACTIVITIES, (activity) => decayed(main, `d|${ACTIVITY_CODES[activity]}`, asOfMs, settings.activityHalfLifeMs)),
    lastSeen: byActivity(USER_ACTIVITIES, (activity) => isoOrNull(windows[`${ACTIVITY_CODES[activity]}|wm`])),
    rfm: {
      recencyDays: lastOrder === undefined ? null : Math.max(0, asOfMs - Number(lastOrder)) / DAY_MS,
      frequency: numberOr0(main['rfm|n']),
      monetary,
      firstOrderAt: isoOrNull(main['rfm|first']),
      lastOrderAt: isoOrNull(lastOrder),
    },
    categoryAffinity: forwardDecayed(stored.affinity, main['L|aff'], asOfMs, settings.affinityHalfLifeMs).map(([member, weight]) => ({
      path: JSON.parse(member) as string[],
      weight,
    })),
    recentItems: stored.recent.map((entry) => {
      const [code, at] = entry.split('|', 2);
      return { sku: entry.slice(code.length + at.length + 2), activity: CODE_TO_USER_ACTIVITY.get(code) as UserActivity, at: iso(Number(at)) };
    }),
    session:
      sessionOpen && lastEventAt !== undefined
        ? {
            startedAt: iso(Number(main.ss)),
            lastEventAt: iso(lastEventAt),
            events: Number(main.sn),
            durationMs: lastEventAt - Number(main.ss),
            items: stored.session,
          }
        : null,
    segmentId: main.segment ?? null,
  };
}

/** Feature views of items, in the order asked, in one round trip. */
export async function readItemViews(redis: RedisClient, skus: readonly string[], options: ReadViewsOptions = {}): Promise<ItemFeatureView[]> {
  const context = readContext(options);
  const commands = skus.flatMap((sku): PipelinedCommand[] => {
    const keys = itemKeys(context.tenant, sku);
    return [
      { key: keys.main, queue: (p) => p.hgetall(keys.main) },
      { key: keys.coViewed, queue: (p) => p.zrevrange(keys.coViewed, 0, LIMITS.neighboursServed - 1, 'WITHSCORES') },
      { key: keys.coPurchased, queue: (p) => p.zrevrange(keys.coPurchased, 0, LIMITS.neighboursServed - 1, 'WITHSCORES') },
      { key: keys.availability, queue: (p) => p.hgetall(keys.availability) },
    ];
  });
  const replies = await execPipelined(redis, commands);
  return skus.map((sku, index) => {
    const [main, coViewed, coPurchased, availability] = replies.slice(4 * index, 4 * index + 4) as [
      Record<string, string>,
      string[],
      string[],
      Record<string, string>,
    ];
    return itemView(sku, context, { main, coViewed, coPurchased, availability });
  });
}

function itemView(
  sku: string,
  { asOfMs, tenant, settings }: ReadContext,
  stored: { main: Record<string, string>; coViewed: string[]; coPurchased: string[]; availability: Record<string, string> },
): ItemFeatureView {
  const { main } = stored;
  const popularity = byActivity(ITEM_ACTIVITIES, (activity) => decayed(main, `p|${ACTIVITY_CODES[activity]}`, asOfMs, settings.popularityHalfLifeMs));
  const neighbours = (entries: string[], landmark: string | undefined) =>
    forwardDecayed(entries, landmark, asOfMs, settings.neighbourHalfLifeMs).map(([neighbour, weight]) => ({ sku: neighbour, weight }));
  return {
    sku,
    tenant,
    asOf: iso(asOfMs),
    known: Object.keys(main).length > 0,
    popularity,
    totals: byActivity(ITEM_ACTIVITIES, (activity) => numberOr0(main[`n|${ACTIVITY_CODES[activity]}`])),
    conversion: { viewToCart: rate(popularity.cart, popularity.view), viewToPurchase: rate(popularity.order, popularity.view) },
    price: main.price === undefined ? null : { amount: main.price, currency: main.cur },
    categoryPath: main.cat === undefined ? null : (JSON.parse(main.cat) as string[]),
    active: main.act === undefined ? null : main.act === '1',
    catalogUpdatedAt: isoOrNull(main['cat@']),
    availability: Object.fromEntries(Object.entries(stored.availability).map(([store, units]) => [store, Number(units)])),
    coViewed: neighbours(stored.coViewed, main['L|cv']),
    coPurchased: neighbours(stored.coPurchased, main['L|cp']),
  };
}

/** Demand and stock views of SKU x store pairs, in the order asked, in one round trip. */
export async function readSkuStoreViews(
  redis: RedisClient,
  pairs: readonly { sku: string; store: string }[],
  options: ReadViewsOptions = {},
): Promise<SkuStoreFeatureView[]> {
  const context = readContext(options);
  const replies = await execPipelined(
    redis,
    pairs.map(({ sku, store }): PipelinedCommand => {
      const key = skuStoreKeys(context.tenant, sku, store).stock;
      return { key, queue: (p) => p.hgetall(key) };
    }),
  );
  return pairs.map(({ sku, store }, index) => skuStoreView(sku, store, context, replies[index] as Record<string, string>));
}

function skuStoreView(sku: string, store: string, { asOfMs, tenant, settings }: ReadContext, stock: Record<string, string>): SkuStoreFeatureView {
  const today = bucketOf(asOfMs, DAY_MS);
  const dailyUnitsSold = Array.from({ length: SALES_DAYS }, (_, i) => numberOr0(stock[`u|d|${today - SALES_DAYS + 1 + i}`]));
  const counted = stock['cnt@'] === undefined ? undefined : { onHand: Number(stock['cnt|oh']), onOrder: Number(stock['cnt|oo']) };
  const { onHand, onOrder } = stockPosition(counted, numberOr0(stock['mv|in']), numberOr0(stock['mv|out']));
  return {
    sku,
    store,
    tenant,
    asOf: iso(asOfMs),
    known: Object.keys(stock).length > 0,
    dailyUnitsSold,
    onHand,
    onOrder,
    lastCountAt: isoOrNull(stock['cnt@']),
    demand: { ...ewmaDemand(dailyUnitsSold.slice(0, -1), settings.demandAlpha), alpha: settings.demandAlpha },
  };
}
