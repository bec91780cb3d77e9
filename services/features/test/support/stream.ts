import { EventType, exampleEvent, parseEvent, type EventTypeName, type ExampleEventOverrides, type StoreloopEvent } from '@storeloop/contracts';
import {
  ACTIVITY_WINDOWS,
  ITEM_ACTIVITIES,
  USER_ACTIVITIES,
  type ActivityWindow,
  type ItemActivity,
  type ItemFeatureView,
  type UserActivity,
  type UserFeatureView,
} from '@storeloop/feature-store';
import { mulberry32 } from '@storeloop/ml';

export interface StreamOptions {
  seed: number;
  events: number;
  users: number;
  skus: number;
  /** Event time of the first event; the stream spans `spanMs` after it. */
  startMs: number;
  spanMs: number;
  /** Distinguishes ids between tests. */
  tag: string;
}

export function parsed<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T>): StoreloopEvent {
  const result = parseEvent(exampleEvent(type, overrides));
  if (!result.ok) throw new Error(`invalid generated event: ${JSON.stringify(result.issues)}`);
  return result.event;
}

/**
 * A seeded stream of shopper and feedback events, as ingestion would write
 * them: views, carts, removals, favourites, searches, orders of one to three
 * lines, served recommendations and clicks on them. Times rise through the
 * span with up to two minutes of disorder, so windows, sessions and late
 * events all occur.
 */
export function generateStream(options: StreamOptions): StoreloopEvent[] {
  const random = mulberry32(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const user = () => `${options.tag}-u${pick(options.users)}`;
  // Popular items are popular: a skewed draw, like real catalogues.
  const sku = () => `${options.tag}-sku${Math.floor(options.skus * random() ** 2)}`;
  const served = new Map<string, { id: string; skus: string[] }>();
  const events: StoreloopEvent[] = [];
  for (let i = 0; i < options.events; i++) {
    const time = new Date(options.startMs + Math.floor((i * options.spanMs) / options.events) - pick(120_000)).toISOString();
    const id = `${options.tag}-e${i}`;
    const userId = user();
    const r = random();
    const common = { id, time };
    if (r < 0.5) events.push(parsed(EventType.ProductViewed, { ...common, data: { userId, sku: sku() } }));
    else if (r < 0.6) events.push(parsed(EventType.CartItemAdded, { ...common, data: { userId, sku: sku(), quantity: 1 + pick(3) } }));
    else if (r < 0.63) events.push(parsed(EventType.CartItemRemoved, { ...common, data: { userId, sku: sku(), quantity: 1 } }));
    else if (r < 0.67) events.push(parsed(EventType.ProductFavorited, { ...common, data: { userId, sku: sku() } }));
    else if (r < 0.74) events.push(parsed(EventType.SearchPerformed, { ...common, data: { userId, query: `q${pick(50)}` } }));
    else if (r < 0.8) {
      const currency = random() < 0.8 ? 'EUR' : 'USD';
      const lines = Array.from({ length: 1 + pick(3) }, () => ({
        sku: sku(),
        quantity: 1 + pick(4),
        unitPrice: { amount: `${1 + pick(200)}.${String(pick(100)).padStart(2, '0')}`, currency },
      }));
      events.push(parsed(EventType.OrderPlaced, { ...common, data: { userId, orderId: `${id}-order`, store: `store-${pick(5)}`, items: lines } }));
    } else if (r < 0.92) {
      const skus = [...new Set(Array.from({ length: 5 }, sku))];
      const recommendationId = `${id}-rec`;
      served.set(userId, { id: recommendationId, skus });
      events.push(
        parsed(EventType.RecommendationServed, {
          ...common,
          data: { userId, recommendationId, modelVersion: 'v1', surface: 'home', items: skus.map((s, p) => ({ sku: s, position: p + 1, score: 1 - p / 10 })) },
        }),
      );
    } else {
      const last = served.get(userId);
      if (!last) events.push(parsed(EventType.ProductViewed, { ...common, data: { userId, sku: sku() } }));
      else {
        const position = pick(last.skus.length);
        events.push(parsed(EventType.RecommendationClicked, { ...common, data: { userId, recommendationId: last.id, sku: last.skus[position], position: position + 1 } }));
      }
    }
  }
  return events;
}

export interface ExpectedUser {
  counts: Record<UserActivity, Record<ActivityWindow, number>>;
  orders: number;
  monetary: Record<string, string>;
}
export type ExpectedItem = Record<ItemActivity, number>;

const zeroWindows = () => Object.fromEntries(Object.keys(ACTIVITY_WINDOWS).map((w) => [w, 0])) as Record<ActivityWindow, number>;

const USER_ACTIVITY: Partial<Record<string, UserActivity>> = {
  [EventType.ProductViewed]: 'view',
  [EventType.CartItemAdded]: 'cart',
  [EventType.CartItemRemoved]: 'uncart',
  [EventType.ProductFavorited]: 'favorite',
  [EventType.SearchPerformed]: 'search',
  [EventType.OrderPlaced]: 'order',
  [EventType.RecommendationServed]: 'impression',
  [EventType.RecommendationClicked]: 'click',
};

/** Ten-thousandths of an amount with up to 4 decimals, exactly. */
function tenThousandths(amount: string): bigint {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole) * 10_000n + BigInt((fraction + '0000').slice(0, 4));
}

function decimal(value: bigint): string {
  const whole = value / 10_000n;
  const fraction = (value % 10_000n).toString().padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/**
 * Every user and item counter computed directly from the events, with none of
 * the store's machinery: a window counts the events whose bucket is one of
 * the window's newest buckets ending with the bucket of `asOfMs` (the
 * store's documented boundaries).
 */
export function groundTruth(events: readonly StoreloopEvent[], asOfMs: number): { users: Map<string, ExpectedUser>; items: Map<string, ExpectedItem> } {
  const users = new Map<string, ExpectedUser>();
  const items = new Map<string, ExpectedItem>();
  const money = new Map<string, Map<string, bigint>>();
  const item = (sku: string) => {
    let entry = items.get(sku);
    if (!entry) items.set(sku, (entry = Object.fromEntries(ITEM_ACTIVITIES.map((a) => [a, 0])) as ExpectedItem));
    return entry;
  };
  for (const event of events) {
    const activity = USER_ACTIVITY[event.type];
    if (!activity || !('userId' in event.data)) continue;
    const userId = event.data.userId;
    let expected = users.get(userId);
    if (!expected) {
      expected = { counts: Object.fromEntries(USER_ACTIVITIES.map((a) => [a, zeroWindows()])) as ExpectedUser['counts'], orders: 0, monetary: {} };
      users.set(userId, expected);
    }
    const t = Date.parse(event.time);
    for (const [window, spec] of Object.entries(ACTIVITY_WINDOWS) as [ActivityWindow, (typeof ACTIVITY_WINDOWS)[ActivityWindow]][]) {
      const bucket = Math.floor(t / spec.sizeMs);
      const newest = Math.floor(asOfMs / spec.sizeMs);
      if (bucket > newest - spec.buckets && bucket <= newest) expected.counts[activity][window]++;
    }
    switch (event.type) {
      case EventType.ProductViewed:
      case EventType.CartItemAdded:
      case EventType.CartItemRemoved:
      case EventType.ProductFavorited:
      case EventType.RecommendationClicked:
        item(event.data.sku)[activity as ItemActivity]++;
        break;
      case EventType.RecommendationServed:
        for (const served of event.data.items) item(served.sku).impression++;
        break;
      case EventType.OrderPlaced: {
        expected.orders++;
        const currency = event.data.items[0].unitPrice.currency;
        const spent = money.get(userId) ?? new Map<string, bigint>();
        const value = event.data.items.reduce((sum, line) => sum + tenThousandths(line.unitPrice.amount) * BigInt(line.quantity), 0n);
        spent.set(currency, (spent.get(currency) ?? 0n) + value);
        money.set(userId, spent);
        for (const line of event.data.items) {
          item(line.sku).order++;
          item(line.sku).units += line.quantity;
        }
        break;
      }
    }
  }
  for (const [userId, spent] of money) {
    const expected = users.get(userId);
    if (expected) expected.monetary = Object.fromEntries([...spent].map(([currency, value]) => [currency, decimal(value)]));
  }
  return { users, items };
}

/** Every difference between the store's counters and the ground truth, as readable lines. */
export function counterDifferences(
  truth: ReturnType<typeof groundTruth>,
  userViews: readonly UserFeatureView[],
  itemViews: readonly ItemFeatureView[],
): string[] {
  const found: string[] = [];
  for (const view of userViews) {
    const expected = truth.users.get(view.userId);
    if (!expected) {
      found.push(`user ${view.userId}: not in the ground truth`);
      continue;
    }
    for (const activity of USER_ACTIVITIES) {
      for (const window of Object.keys(ACTIVITY_WINDOWS) as ActivityWindow[]) {
        if (view.counts[activity][window] !== expected.counts[activity][window]) {
          found.push(`user ${view.userId} ${activity} ${window}: ${view.counts[activity][window]} != ${expected.counts[activity][window]}`);
        }
      }
    }
    if (view.rfm.frequency !== expected.orders) found.push(`user ${view.userId} orders: ${view.rfm.frequency} != ${expected.orders}`);
    const monetary = (m: Record<string, string>) =>
      JSON.stringify(
        Object.entries(m)
          .map(([currency, amount]) => [currency, tenThousandths(amount).toString()])
          .filter(([, units]) => units !== '0')
          .sort(),
      );
    if (monetary(view.rfm.monetary) !== monetary(expected.monetary)) {
      found.push(`user ${view.userId} monetary: ${JSON.stringify(view.rfm.monetary)} != ${JSON.stringify(expected.monetary)}`);
    }
  }
  for (const view of itemViews) {
    const expected = truth.items.get(view.sku);
    if (!expected) {
      found.push(`item ${view.sku}: not in the ground truth`);
      continue;
    }
    for (const activity of ITEM_ACTIVITIES) {
      if (view.totals[activity] !== expected[activity]) found.push(`item ${view.sku} ${activity}: ${view.totals[activity]} != ${expected[activity]}`);
    }
  }
  return found;
}
