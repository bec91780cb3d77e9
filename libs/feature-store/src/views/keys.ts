import { createHash } from 'node:crypto';

/**
 * The Redis key layout (documented in the README). Every key of one entity
 * carries the entity's hash tag, so a script touching only that entity stays
 * on one Redis Cluster slot:
 *
 *   <tenant>:{u:<userId>}           user      main hash, :w :aff :recent :sess :sessv :served
 *   <tenant>:{i:<sku>}              item      main hash, :cv :cp :avail, and per store
 *   <tenant>:{i:<sku>}:st:<store>   SKU x store stock and daily sales (hash)
 *   <tenant>:{i:<sku>}:mv:<store>   SKU x store stock movements since the last count (sorted set)
 *   <tenant>:{erased-users}         sha256 of erased user ids (set)
 *   {o:<namespace>:<topic>}         next offset per partition (hash)
 *
 * SKU x store keys share the item's tag: the item's availability per store is
 * derived from them in the same atomic script. The client's key prefix
 * (REDIS_KEY_PREFIX) comes in front of all of these.
 */

/** Percent-encodes `%`, `{` and `}`: a brace in an id would end the hash tag early, and escaping `%` keeps ids distinct. */
export function keyPart(id: string): string {
  return id.replace(/[%{}]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface UserKeys {
  /** Hash: offset guards, decayed counters, RFM, session scalars, affinity landmark, segment. */
  main: string;
  /** Hash: activity buckets (minute, hour, day) and the last time of each activity. */
  windows: string;
  /** Sorted set: category path → forward-decayed weight. */
  affinity: string;
  /** List: the last interactions, newest first. */
  recent: string;
  /** List: distinct SKUs of the current session, newest first. */
  session: string;
  /** List: distinct SKUs viewed in the current session, newest first (co-view pairs). */
  sessionViews: string;
  /** Hash: served recommendations awaiting their clicks and purchases (features service, attribution). */
  served: string;
}

export function userKeys(tenant: string, userId: string): UserKeys {
  const main = `${tenant}:{u:${keyPart(userId)}}`;
  return {
    main,
    windows: `${main}:w`,
    affinity: `${main}:aff`,
    recent: `${main}:recent`,
    session: `${main}:sess`,
    sessionViews: `${main}:sessv`,
    served: `${main}:served`,
  };
}

export function allUserKeys(keys: UserKeys): string[] {
  return [keys.main, keys.windows, keys.affinity, keys.recent, keys.session, keys.sessionViews, keys.served];
}

export interface ItemKeys {
  /** Hash: offset guards, totals and decayed popularity per activity, catalogue fields, neighbour landmarks. */
  main: string;
  /** Sorted set: co-viewed SKU → forward-decayed weight. */
  coViewed: string;
  /** Sorted set: co-purchased SKU → forward-decayed weight. */
  coPurchased: string;
  /** Hash: store → units on hand. */
  availability: string;
}

function itemTag(tenant: string, sku: string): string {
  return `${tenant}:{i:${keyPart(sku)}}`;
}

export function itemKeys(tenant: string, sku: string): ItemKeys {
  const main = itemTag(tenant, sku);
  return { main, coViewed: `${main}:cv`, coPurchased: `${main}:cp`, availability: `${main}:avail` };
}

export interface SkuStoreKeys {
  /** Hash: last count, movement sums since it, daily units sold. */
  stock: string;
  /** Sorted set: stock movements after the last count, scored by event time. */
  movements: string;
}

export function skuStoreKeys(tenant: string, sku: string, store: string): SkuStoreKeys {
  const tag = itemTag(tenant, sku);
  return { stock: `${tag}:st:${keyPart(store)}`, movements: `${tag}:mv:${keyPart(store)}` };
}

/** Where the consumed offsets of one topic are kept for a consumer group (or any namespace the service chooses). */
export function offsetsKey(namespace: string, topic: string): string {
  return `{o:${keyPart(namespace)}:${keyPart(topic)}}`;
}

export function erasedUsersKey(tenant: string): string {
  return `${tenant}:{erased-users}`;
}

/** How an erased user id is recorded: sha256 hex of its UTF-8 bytes, so the set itself holds no personal data. */
export function hashedUserId(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}
