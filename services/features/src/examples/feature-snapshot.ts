import { EventType, type StoreloopEvent } from '@storeloop/contracts';
import {
  affinitySkusOf,
  emptyItemView,
  emptyUserView,
  itemFeatureVector,
  userFeatureVector,
  userItemFeatures,
  type ItemFeatureView,
  type UserFeatureView,
} from '@storeloop/feature-store';

/**
 * The views of the users and items a slice of events touches, read from Redis
 * as of `asOfMs` before the slice is applied: the features every example of
 * the slice is built from. Maps are keyed by `snapshotKey(tenant, id)`.
 */
export interface FeatureSnapshot {
  /** The `asOf` the views were read with: the slice's earliest event time (`snapshotRequest`). */
  asOfMs: number;
  users: ReadonlyMap<string, UserFeatureView>;
  items: ReadonlyMap<string, ItemFeatureView>;
}

/** Key of a user (by userId) or an item (by SKU) in a `FeatureSnapshot`. NUL cannot occur in a tenant slug. */
export const snapshotKey = (tenant: string, id: string) => `${tenant}\u0000${id}`;

/** What to read for a slice, per tenant (`readUserViews` and `readItemViews` take one tenant per call). */
export interface SnapshotRequest {
  /** Earliest event time of the slice; null for an empty slice. */
  asOfMs: number | null;
  byTenant: Map<string, { userIds: string[]; skus: string[] }>;
}

/** SKUs an event involves: the interaction's item, order lines, clicked and served items. */
function skusOf(event: StoreloopEvent): string[] {
  return event.type === EventType.RecommendationServed ? event.data.items.map((item) => item.sku) : affinitySkusOf(event);
}

/** The users and items whose views `buildInteractionExamples` and `attribute` need for a slice, and the time to read them as of. */
export function snapshotRequest(events: readonly StoreloopEvent[]): SnapshotRequest {
  let asOfMs: number | null = null;
  const sets = new Map<string, { userIds: Set<string>; skus: Set<string> }>();
  for (const event of events) {
    const time = Date.parse(event.time);
    asOfMs = asOfMs === null ? time : Math.min(asOfMs, time);
    const skus = skusOf(event);
    if (skus.length === 0 || !('userId' in event.data)) continue;
    const entry = sets.get(event.tenant) ?? { userIds: new Set<string>(), skus: new Set<string>() };
    sets.set(event.tenant, entry);
    entry.userIds.add(event.data.userId);
    for (const sku of skus) entry.skus.add(sku);
  }
  const byTenant = new Map([...sets].map(([tenant, { userIds, skus }]) => [tenant, { userIds: [...userIds], skus: [...skus] }]));
  return { asOfMs, byTenant };
}

/** The user's view in the snapshot, or the empty view the store returns for a user it does not hold. */
export function snapshotUser(snapshot: FeatureSnapshot, tenant: string, userId: string): UserFeatureView {
  return snapshot.users.get(snapshotKey(tenant, userId)) ?? emptyUserView(tenant, userId, new Date(snapshot.asOfMs).toISOString());
}

export function snapshotItem(snapshot: FeatureSnapshot, tenant: string, sku: string): ItemFeatureView {
  return snapshot.items.get(snapshotKey(tenant, sku)) ?? emptyItemView(tenant, sku, new Date(snapshot.asOfMs).toISOString());
}

/**
 * The two feature maps of an example: the user's vector with the pair's
 * cross features (`x.` names) in `userFeatures`, the item's vector in
 * `itemFeatures`.
 */
export function exampleFeatures(user: UserFeatureView, item: ItemFeatureView): { userFeatures: Record<string, number>; itemFeatures: Record<string, number> } {
  return { userFeatures: { ...userFeatureVector(user), ...userItemFeatures(user, item) }, itemFeatures: itemFeatureVector(item) };
}
