import { EventType, TOPICS, exampleEvent, parseEvent, type EventTypeName, type ExampleEventOverrides, type StoreloopEvent } from '@storeloop/contracts';
import { applyEventBatch, type RedisClient, type SourcedEvent } from '@storeloop/feature-store';

/**
 * A small synthetic shop with structure a model can learn and a test can
 * reason about: 60 items in 3 top categories (two leaves of 10 items each),
 * 45 shoppers who each browse a run of neighbouring items of their "home"
 * category, view its three bestsellers twice, and buy two of the items they
 * browsed in one order at store `s1`.
 *
 *   SKU `<H|G|S><01..20>`: H = Home, G = Garden, S = Sports; 01-10 the first leaf, 11-20 the second.
 *   bestsellers 03, 05 and 07 of every category: the most popular items.
 *   H05 is inactive; H03, G03, S03 have 0 units at s1 (stock elsewhere); G07
 *   is the SKU the service is configured to exclude (INFERENCE_EXCLUDED_SKUS).
 *
 * One more shopper, LOYAL_SHOPPER, bought H10 and H20 a while ago and has
 * since viewed all 20 Garden items and S01: more distinct items than the
 * engine's history (INFERENCE_HISTORY_ITEMS = 20 in the tests), so only the
 * purchase rule keeps H10 and H20 out of their lists.
 */
export const TENANT = 'default';
export const STORE = 's1';
export const OTHER_STORE = 's2';
export const CATEGORY_CODES = ['H', 'G', 'S'] as const;
export type CategoryCode = (typeof CATEGORY_CODES)[number];
export const CATEGORY_PATHS: Record<CategoryCode, [string[], string[]]> = {
  H: [
    ['Home', 'Kitchen'],
    ['Home', 'Bath'],
  ],
  G: [
    ['Garden', 'Tools'],
    ['Garden', 'Plants'],
  ],
  S: [
    ['Sports', 'Running'],
    ['Sports', 'Cycling'],
  ],
};
const ITEMS_PER_CATEGORY = 20;
const BESTSELLERS = ['03', '05', '07'];
const SHOPPERS = 45;
const BROWSED = 6;

export const INACTIVE_SKU = 'H05';
export const OUT_OF_STOCK_AT_STORE = ['H03', 'G03', 'S03'];
export const CONFIG_EXCLUDED_SKU = 'G07';
export const LOYAL_SHOPPER = 'shopper-loyal';
export const LOYAL_PURCHASES = ['H10', 'H20'];

export interface ShopItem {
  sku: string;
  code: CategoryCode;
  path: string[];
  /** The path as the serving catalogue labels it ("Home > Kitchen"). */
  category: string;
  price: number;
}

export interface Shopper {
  userId: string;
  home: CategoryCode;
  /** Distinct SKUs the shopper interacted with (viewed or bought), newest first: the engine's history is the first INFERENCE_HISTORY_ITEMS. */
  history: string[];
  purchased: string[];
}

export interface Shop {
  items: ShopItem[];
  bySku: Map<string, ShopItem>;
  shoppers: Shopper[];
  /** Event time of the first and the last seeded event. */
  from: string;
  to: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function shopItems(): ShopItem[] {
  return CATEGORY_CODES.flatMap((code) =>
    Array.from({ length: ITEMS_PER_CATEGORY }, (_, i) => {
      const path = CATEGORY_PATHS[code][i < ITEMS_PER_CATEGORY / 2 ? 0 : 1];
      return { sku: `${code}${pad(i + 1)}`, code, path, category: path.join(' > '), price: 5 + (i + 1) * 2.5 };
    }),
  );
}

/** Contract events as a consumer receives them (parsed, defaults applied), so seeding goes through the same schemas. */
function contractEvent<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T>): StoreloopEvent {
  const parsed = parseEvent(exampleEvent(type, { tenant: TENANT, ...overrides }));
  if (!parsed.ok) throw new Error(`invalid seed event ${type}: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
}

/** The events of the shop, in the order they are applied (one partition, so event order is offset order). */
export function shopEvents(nowMs: number): { events: StoreloopEvent[]; shop: Shop } {
  const items = shopItems();
  const events: StoreloopEvent[] = [];
  let n = 0;
  const id = () => `seed-${pad(++n)}-${n}`;
  const catalogAt = new Date(nowMs - 24 * 3_600_000).toISOString();
  for (const item of items) {
    events.push(
      contractEvent(EventType.CatalogItemUpserted, {
        id: id(),
        time: catalogAt,
        data: { sku: item.sku, title: `Item ${item.sku}`, categoryPath: item.path, price: { amount: item.price.toFixed(2), currency: 'EUR' }, active: item.sku !== INACTIVE_SKU },
      }),
    );
    for (const store of [STORE, OTHER_STORE]) {
      const onHand = store === STORE && OUT_OF_STOCK_AT_STORE.includes(item.sku) ? 0 : 25;
      events.push(contractEvent(EventType.InventorySnapshotTaken, { id: id(), time: catalogAt, data: { sku: item.sku, store, onHand, onOrder: 0, asOf: catalogAt } }));
    }
  }

  const shoppers: Shopper[] = [];
  const start = nowMs - 3 * 3_600_000;
  let last = start;
  const price = (sku: string) => items.find((item) => item.sku === sku)!.price.toFixed(2);
  /** One shopper's visit: views in order, and one order of `purchased` placed before or after them. */
  const visit = (i: number, userId: string, home: CategoryCode, views: string[], purchased: string[], orderFirst: boolean) => {
    const shopper = { userId, sessionId: `sess-${i}`, channel: 'web' as const };
    let at = start + i * 120_000;
    const next = () => new Date((at += 20_000)).toISOString();
    const order = () =>
      contractEvent(EventType.OrderPlaced, {
        id: id(),
        time: next(),
        data: { ...shopper, store: STORE, orderId: `order-${i}`, items: purchased.map((sku, j) => ({ sku, quantity: 1 + j, unitPrice: { amount: price(sku), currency: 'EUR' } })) },
      });
    if (orderFirst) events.push(order());
    for (const sku of views) events.push(contractEvent(EventType.ProductViewed, { id: id(), time: next(), data: { ...shopper, sku } }));
    if (!orderFirst) events.push(order());
    last = Math.max(last, at);
    const touched = orderFirst ? [...purchased, ...views] : [...views, ...purchased];
    shoppers.push({ userId, home, history: [...new Set([...touched].reverse())], purchased });
  };
  for (let i = 0; i < SHOPPERS; i += 1) {
    const home = CATEGORY_CODES[i % CATEGORY_CODES.length];
    const first = (Math.floor(i / CATEGORY_CODES.length) * 3) % ITEMS_PER_CATEGORY;
    const browsed = Array.from({ length: BROWSED }, (_, j) => `${home}${pad(((first + j) % ITEMS_PER_CATEGORY) + 1)}`);
    const bestsellers = BESTSELLERS.map((b) => `${home}${b}`);
    visit(i, `shopper-${pad(i)}`, home, [...browsed, ...bestsellers, ...bestsellers], [browsed[2], browsed[3]], false);
  }
  const garden = items.filter((item) => item.code === 'G').map((item) => item.sku);
  visit(SHOPPERS, LOYAL_SHOPPER, 'G', [...garden, 'S01'], LOYAL_PURCHASES, true);
  return { events, shop: { items, bySku: new Map(items.map((item) => [item.sku, item])), shoppers, from: catalogAt, to: new Date(last).toISOString() } };
}

/**
 * Writes the shop into the feature store under the client's key prefix with
 * the features service's own `applyEventBatch`, so the views the inference
 * service reads are the ones production would hold.
 */
export async function seedShop(redis: RedisClient, nowMs = Date.now()): Promise<Shop> {
  const { events, shop } = shopEvents(nowMs);
  const sourced: SourcedEvent[] = events.map((event, offset) => ({ event, topic: TOPICS.events.name, partition: 0, offset: String(offset) }));
  const CHUNK = 250;
  for (let i = 0; i < sourced.length; i += CHUNK) {
    await applyEventBatch(redis, sourced.slice(i, i + CHUNK), { offsetNamespace: 'it-inference-seed' });
  }
  return shop;
}
