import { EventType, type StoreloopEvent } from '@storeloop/contracts';
import type { RedisClient } from '../client';
import {
  ACTIVITY_WINDOWS,
  ITEM_ACTIVITIES,
  USER_ACTIVITIES,
  readItemViews,
  readUserViews,
  type ActivityWindow,
  type ItemActivity,
  type ItemFeatureView,
  type UserActivity,
  type UserFeatureView,
} from '../views';

/*
 * A reference for the store's user and item counters, computed from the
 * events with none of the store's machinery (no Redis, no buckets kept, no
 * offsets): what a verifier compares the store with after crashes, replays
 * and outages (the features tests, `npm run chaos`).
 */

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

/**
 * Reads every user and item of `events` from the store and lists where it
 * differs from the reference (at most `limit` lines, then a count).
 */
export async function storeDifferencesFromEvents(
  redis: RedisClient,
  events: readonly StoreloopEvent[],
  limit = 20,
): Promise<{ differences: string[]; total: number; users: number; items: number }> {
  const asOfMs = events.reduce((max, e) => Math.max(max, Date.parse(e.time)), 0) + 60_000;
  const truth = groundTruth(events, asOfMs);
  const asOf = new Date(asOfMs);
  const users = [...truth.users.keys()];
  const items = [...truth.items.keys()];
  const userViews: UserFeatureView[] = [];
  for (let i = 0; i < users.length; i += 500) userViews.push(...(await readUserViews(redis, users.slice(i, i + 500), { asOf })));
  const itemViews: ItemFeatureView[] = [];
  for (let i = 0; i < items.length; i += 500) itemViews.push(...(await readItemViews(redis, items.slice(i, i + 500), { asOf })));
  const differences = counterDifferences(truth, userViews, itemViews);
  return {
    differences: differences.slice(0, limit).concat(differences.length > limit ? [`... and ${differences.length - limit} more`] : []),
    total: differences.length,
    users: users.length,
    items: items.length,
  };
}
