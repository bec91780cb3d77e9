import { EventType, type StoreloopEvent } from '@storeloop/contracts';
import type { FeatureSettings, ItemActivity, SourcedEvent, UserActivity } from '../../src';

/**
 * The views computed directly from the events, with none of the store's
 * machinery (buckets, guards, scripts, forward decay): the ground truth the
 * store must equal. `log` holds every event once, per partition in offset
 * order; `categories` is the catalogue every interaction sees.
 */

const DAY = 86_400_000;

export interface ReferenceUser {
  counts: Record<string, Record<'1h' | '24h' | '7d' | '30d', number>>;
  decayed: Record<string, number>;
  lastSeen: Record<string, number>;
  orders: number;
  /** Per currency, ten-thousandths. */
  spent: Record<string, bigint>;
  firstOrder?: number;
  lastOrder?: number;
  recent: { sku: string; activity: UserActivity; at: number }[];
  session?: { start: number; last: number; events: number; items: string[] };
  affinity: Map<string, number>;
}

export interface ReferenceItem {
  totals: Record<string, number>;
  popularity: Record<string, number>;
  coViewed: Map<string, number>;
  coPurchased: Map<string, number>;
  price?: { amount: string; currency: string; at: number };
}

export interface ReferenceSkuStore {
  dailyUnits: Map<number, number>;
  count?: { asOf: number; onHand: number; onOrder: number };
  moves: { at: number; direction: 'in' | 'out'; quantity: number }[];
}

export interface ReferenceViews {
  users: Map<string, ReferenceUser>;
  items: Map<string, ReferenceItem>;
  skuStores: Map<string, ReferenceSkuStore>;
}

export const entityId = (...parts: string[]) => parts.join('/');

function moneyUnits(amount: string): bigint {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole) * 10_000n + BigInt(fraction.padEnd(4, '0'));
}

export function referenceViews(log: readonly SourcedEvent[][], categories: Map<string, string[]>, asOf: number, settings: FeatureSettings): ReferenceViews {
  const views: ReferenceViews = { users: new Map(), items: new Map(), skuStores: new Map() };
  const weight = (at: number, halfLife: number) => 2 ** (-(asOf - at) / halfLife);
  const sessions = new Map<string, { start: number; last: number; events: number; items: string[]; viewed: string[] }>();

  const user = (e: StoreloopEvent, userId: string): ReferenceUser => {
    const id = entityId(e.tenant, userId);
    let found = views.users.get(id);
    if (!found) {
      found = { counts: {}, decayed: {}, lastSeen: {}, orders: 0, spent: {}, recent: [], affinity: new Map() };
      views.users.set(id, found);
    }
    return found;
  };
  const item = (tenant: string, sku: string): ReferenceItem => {
    const id = entityId(tenant, sku);
    let found = views.items.get(id);
    if (!found) {
      found = { totals: {}, popularity: {}, coViewed: new Map(), coPurchased: new Map() };
      views.items.set(id, found);
    }
    return found;
  };
  const skuStore = (tenant: string, sku: string, store: string): ReferenceSkuStore => {
    const id = entityId(tenant, sku, store);
    let found = views.skuStores.get(id);
    if (!found) {
      found = { dailyUnits: new Map(), moves: [] };
      views.skuStores.set(id, found);
    }
    return found;
  };
  const add = (map: Map<string, number>, key: string, value: number) => map.set(key, (map.get(key) ?? 0) + value);

  const inWindow = (at: number, size: number, buckets: number) => {
    const newest = Math.floor(asOf / size);
    const bucket = Math.floor(at / size);
    return bucket > newest - buckets && bucket <= newest ? 1 : 0;
  };
  const countUser = (u: ReferenceUser, activity: UserActivity, at: number) => {
    const counts = (u.counts[activity] ??= { '1h': 0, '24h': 0, '7d': 0, '30d': 0 });
    counts['1h'] += inWindow(at, 60_000, 60);
    counts['24h'] += inWindow(at, 3_600_000, 24);
    counts['7d'] += inWindow(at, DAY, 7);
    counts['30d'] += inWindow(at, DAY, 30);
    u.decayed[activity] = (u.decayed[activity] ?? 0) + weight(at, settings.activityHalfLifeMs);
    u.lastSeen[activity] = Math.max(u.lastSeen[activity] ?? 0, at);
  };
  const countItem = (tenant: string, sku: string, activity: ItemActivity, amount: number, at: number) => {
    const i = item(tenant, sku);
    i.totals[activity] = (i.totals[activity] ?? 0) + amount;
    i.popularity[activity] = (i.popularity[activity] ?? 0) + amount * weight(at, settings.popularityHalfLifeMs);
  };
  const affinity = (u: ReferenceUser, sku: string, credit: number, at: number) => {
    const path = credit > 0 ? (categories.get(sku) ?? []) : [];
    for (let depth = 1; depth <= path.length; depth++) add(u.affinity, JSON.stringify(path.slice(0, depth)), credit * weight(at, settings.affinityHalfLifeMs));
  };
  /** The user's session after an event; returns the items a first view pairs with. */
  const session = (e: StoreloopEvent, userId: string, at: number, skus: string[], viewed?: string): string[] => {
    const id = entityId(e.tenant, userId);
    let s = sessions.get(id);
    if (!s || at - s.last > settings.sessionGapMs) {
      s = { start: at, last: at, events: 0, items: [], viewed: [] };
      sessions.set(id, s);
    }
    s.start = Math.min(s.start, at);
    s.last = Math.max(s.last, at);
    s.events += 1;
    for (const sku of skus) s.items = [sku, ...s.items.filter((other) => other !== sku)].slice(0, 50);
    if (viewed === undefined) return [];
    const pairs = s.viewed.includes(viewed) ? [] : [...s.viewed];
    s.viewed = [viewed, ...s.viewed.filter((other) => other !== viewed)].slice(0, 20);
    return pairs;
  };
  const remember = (u: ReferenceUser, activity: UserActivity, sku: string, at: number) => {
    u.recent.unshift({ sku, activity, at });
    u.recent.length = Math.min(u.recent.length, 50);
  };
  const interaction = (e: StoreloopEvent, userId: string, sku: string, activity: 'cart' | 'uncart' | 'favorite' | 'click', credit: number, at: number) => {
    const u = user(e, userId);
    countUser(u, activity, at);
    session(e, userId, at, [sku]);
    remember(u, activity, sku, at);
    affinity(u, sku, credit, at);
    countItem(e.tenant, sku, activity, 1, at);
  };

  for (const partition of log) {
    for (const { event: e } of partition) {
      const at = Date.parse(e.time);
      switch (e.type) {
        case EventType.ProductViewed: {
          const u = user(e, e.data.userId);
          countUser(u, 'view', at);
          const pairs = session(e, e.data.userId, at, [e.data.sku], e.data.sku);
          remember(u, 'view', e.data.sku, at);
          affinity(u, e.data.sku, 1, at);
          countItem(e.tenant, e.data.sku, 'view', 1, at);
          for (const other of pairs) {
            add(item(e.tenant, e.data.sku).coViewed, other, weight(at, settings.neighbourHalfLifeMs));
            add(item(e.tenant, other).coViewed, e.data.sku, weight(at, settings.neighbourHalfLifeMs));
          }
          break;
        }
        case EventType.CartItemAdded:
          interaction(e, e.data.userId, e.data.sku, 'cart', 3, at);
          break;
        case EventType.CartItemRemoved:
          interaction(e, e.data.userId, e.data.sku, 'uncart', 0, at);
          break;
        case EventType.ProductFavorited:
          interaction(e, e.data.userId, e.data.sku, 'favorite', 3, at);
          break;
        case EventType.RecommendationClicked:
          interaction(e, e.data.userId, e.data.sku, 'click', 1, at);
          break;
        case EventType.SearchPerformed:
          countUser(user(e, e.data.userId), 'search', at);
          session(e, e.data.userId, at, []);
          break;
        case EventType.RecommendationServed:
          countUser(user(e, e.data.userId), 'impression', at);
          for (const served of e.data.items) countItem(e.tenant, served.sku, 'impression', 1, at);
          break;
        case EventType.OrderPlaced: {
          const u = user(e, e.data.userId);
          countUser(u, 'order', at);
          u.orders += 1;
          const currency = e.data.items[0].unitPrice.currency;
          u.spent[currency] = (u.spent[currency] ?? 0n) + e.data.items.reduce((sum, line) => sum + moneyUnits(line.unitPrice.amount) * BigInt(line.quantity), 0n);
          u.firstOrder = Math.min(u.firstOrder ?? at, at);
          u.lastOrder = Math.max(u.lastOrder ?? at, at);
          session(e, e.data.userId, at, e.data.items.map((line) => line.sku));
          for (const line of e.data.items) {
            remember(u, 'order', line.sku, at);
            affinity(u, line.sku, 5, at);
            countItem(e.tenant, line.sku, 'order', 1, at);
            countItem(e.tenant, line.sku, 'units', line.quantity, at);
            if (e.data.store) {
              const s = skuStore(e.tenant, line.sku, e.data.store);
              const day = Math.floor(at / DAY);
              s.dailyUnits.set(day, (s.dailyUnits.get(day) ?? 0) + line.quantity);
              s.moves.push({ at, direction: 'out', quantity: line.quantity });
            }
          }
          const distinct = [...new Set(e.data.items.map((line) => line.sku))].slice(0, 20);
          for (const sku of distinct) {
            for (const other of distinct) if (other !== sku) add(item(e.tenant, sku).coPurchased, other, weight(at, settings.neighbourHalfLifeMs));
          }
          break;
        }
        case EventType.CatalogItemUpserted: {
          const i = item(e.tenant, e.data.sku);
          if (!i.price || at >= i.price.at) i.price = { ...e.data.price, at };
          break;
        }
        case EventType.InventorySnapshotTaken: {
          const s = skuStore(e.tenant, e.data.sku, e.data.store);
          const asOfCount = Date.parse(e.data.asOf);
          if (!s.count || asOfCount >= s.count.asOf) s.count = { asOf: asOfCount, onHand: e.data.onHand, onOrder: e.data.onOrder };
          break;
        }
        case EventType.GoodsReceived:
          skuStore(e.tenant, e.data.sku, e.data.store).moves.push({ at, direction: 'in', quantity: e.data.quantity });
          break;
        case EventType.UserErasureRequested:
          throw new Error('the reference does not model erasure');
      }
    }
  }
  for (const [id, s] of sessions) {
    const u = views.users.get(id);
    if (u && asOf - s.last <= settings.sessionGapMs) u.session = { start: s.start, last: s.last, events: s.events, items: s.items };
  }
  return views;
}

/** Units on hand and on order of a SKU x store in the reference: the newest count plus movements after it. */
export function referenceStock(s: ReferenceSkuStore): { onHand: number; onOrder: number } {
  const after = s.moves.filter(({ at }) => !s.count || at > s.count.asOf);
  const received = after.filter(({ direction }) => direction === 'in').reduce((sum, { quantity }) => sum + quantity, 0);
  const sold = after.filter(({ direction }) => direction === 'out').reduce((sum, { quantity }) => sum + quantity, 0);
  return { onHand: Math.max(0, (s.count?.onHand ?? 0) + received - sold), onOrder: Math.max(0, (s.count?.onOrder ?? 0) - received) };
}
