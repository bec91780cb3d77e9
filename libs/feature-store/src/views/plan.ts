import { EventType, type EventOfType, type StoreloopEvent } from '@storeloop/contracts';
import { advanceSession, lineValue, recordSessionView, type SessionState } from './feature-math';
import { itemKeys, skuStoreKeys, userKeys, type UserKeys } from './keys';
import {
  ACTIVITY_BUCKETS,
  ACTIVITY_CODES,
  AFFINITY_WEIGHTS,
  LIMITS,
  SALES_BUCKETS,
  type BucketGranularity,
  type FeatureSettings,
  type ItemActivity,
  type UserActivity,
} from './settings';

/** An event with the Kafka coordinates it was consumed from. */
export interface SourcedEvent {
  event: StoreloopEvent;
  topic: string;
  partition: number;
  /** Kafka offset, a decimal string as kafkajs gives it. */
  offset: string;
}

/** One operation of the apply-entity script: its name, then key indexes (1-based into the call's keys) and values. */
export type EntityOp = readonly (string | number)[];

/** One call of the apply-entity script: every key it touches (the entity's main hash first) and its ops per event. */
export interface EntityUpdate {
  keys: string[];
  /** `[source, offset, ops]` in offset order per source; `source` is `<topic>:<partition>`. */
  groups: [source: string, offset: string, ops: EntityOp[]][];
  /** TTL of every key written, in ms; 0 for none. */
  ttlMs: number;
}

/** What applying needs to know about a user before planning: offset guards and the open session. */
export interface UserContext {
  guards: Map<string, string>;
  session?: SessionState;
}

/** What the planner reads from Redis before planning a batch (one pipelined round trip). */
export interface BatchContext {
  /** By the user's main key. */
  users: Map<string, UserContext>;
  /** Category path of items, by the item's main key; absent when the catalogue has not described the item. */
  categories: Map<string, string[]>;
  /** Main keys of users whose id is in the erased set. */
  erasedUsers: Set<string>;
}

export interface UserRef {
  tenant: string;
  userId: string;
}

export interface BatchPlan {
  /** Run first: an item's effects must be stored before the user state they were derived from moves on. */
  items: EntityUpdate[];
  users: EntityUpdate[];
  /** Users whose erasure was requested in this batch. */
  erasures: UserRef[];
  /** Users the `users` updates write to (re-checked against the erased set after writing). */
  writtenUsers: UserRef[];
  /** Per topic, partition → next offset to consume. */
  nextOffsets: Map<string, Map<number, string>>;
  /** Events left out before reaching Redis: already applied to their user, or of an erased user. */
  skippedEvents: number;
}

/** The user an event is about, if any. */
export function userOf(event: StoreloopEvent): UserRef | undefined {
  return 'userId' in event.data ? { tenant: event.tenant, userId: event.data.userId } : undefined;
}

/** SKUs whose category an event credits to its user's affinity. */
export function affinitySkusOf(event: StoreloopEvent): string[] {
  switch (event.type) {
    case EventType.ProductViewed:
    case EventType.CartItemAdded:
    case EventType.ProductFavorited:
    case EventType.RecommendationClicked:
      return [event.data.sku];
    case EventType.OrderPlaced:
      return event.data.items.map((line) => line.sku);
    default:
      return [];
  }
}

export function sourceOf(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/**
 * The batch in the order it must be applied: events of each source partition
 * by ascending offset, sources in order of first appearance, a repeated
 * (topic, partition, offset) once. Offsets come back in canonical form.
 */
export function orderBatch(events: readonly SourcedEvent[]): SourcedEvent[] {
  const bySource = new Map<string, Map<bigint, SourcedEvent>>();
  for (const sourced of events) {
    if (!/^\d+$/.test(sourced.offset)) throw new RangeError(`offset must be a non-negative integer string, got ${sourced.offset}`);
    if (!Number.isInteger(sourced.partition) || sourced.partition < 0) {
      throw new RangeError(`partition must be a non-negative integer, got ${sourced.partition}`);
    }
    const source = sourceOf(sourced.topic, sourced.partition);
    const offsets = bySource.get(source) ?? new Map<bigint, SourcedEvent>();
    bySource.set(source, offsets);
    const offset = BigInt(sourced.offset);
    if (!offsets.has(offset)) offsets.set(offset, { ...sourced, offset: offset.toString() });
  }
  const byOffset = ([a]: [bigint, SourcedEvent], [b]: [bigint, SourcedEvent]) => (a < b ? -1 : a > b ? 1 : 0);
  return [...bySource.values()].flatMap((offsets) => [...offsets].sort(byOffset).map(([, sourced]) => sourced));
}

const bucketArgs = (granularities: readonly BucketGranularity[]) => granularities.flatMap(({ label, sizeMs, count }) => [label, sizeMs, count]);
const ACTIVITY_BUCKET_ARGS = bucketArgs(ACTIVITY_BUCKETS);
const SALES_BUCKET_ARGS = bucketArgs(SALES_BUCKETS);

class UpdateBuilder {
  readonly update: EntityUpdate;
  private readonly indexes = new Map<string, number>();

  constructor(main: string, ttlMs: number) {
    this.update = { keys: [], groups: [], ttlMs };
    this.key(main);
  }

  /** The 1-based index of a key in the script call, adding it on first use. */
  key(key: string): number {
    let index = this.indexes.get(key);
    if (index === undefined) {
      index = this.update.keys.push(key);
      this.indexes.set(key, index);
    }
    return index;
  }

  /** The op list of one event; consecutive ops of the same event share a group. */
  ops(source: string, offset: string): EntityOp[] {
    const last = this.update.groups.at(-1);
    if (last && last[0] === source && last[1] === offset) return last[2];
    const ops: EntityOp[] = [];
    this.update.groups.push([source, offset, ops]);
    return ops;
  }
}

interface EventAt {
  source: string;
  offset: string;
  timeMs: number;
  tenant: string;
}

/** The user side of one event being planned. */
interface UserEvent {
  at: EventAt;
  main: string;
  keys: UserKeys;
  builder: UpdateBuilder;
  ops: EntityOp[];
}

/**
 * Turns an ordered batch into script calls, one per entity. Pure: the Redis
 * state it depends on comes in `context`, so the same batch and context give
 * the same plan (and redelivery plans the same effects again).
 */
export function planBatch(ordered: readonly SourcedEvent[], context: BatchContext, settings: FeatureSettings): BatchPlan {
  const planner = new BatchPlanner(context, settings);
  for (const sourced of ordered) planner.add(sourced);
  return planner.plan();
}

class BatchPlanner {
  private readonly items = new Map<string, UpdateBuilder>();
  private readonly users = new Map<string, { ref: UserRef; builder: UpdateBuilder }>();
  /** Sessions as they stand after the events planned so far. */
  private readonly sessions = new Map<string, SessionState | undefined>();
  private readonly categories: Map<string, string[]>;
  private readonly erased = new Map<string, UserRef>();
  private readonly nextOffsets = new Map<string, Map<number, string>>();
  private skippedEvents = 0;

  constructor(
    private readonly context: BatchContext,
    private readonly settings: FeatureSettings,
  ) {
    this.categories = new Map(context.categories);
  }

  plan(): BatchPlan {
    return {
      items: [...this.items.values()].map((builder) => builder.update),
      users: [...this.users.values()].map(({ builder }) => builder.update),
      erasures: [...this.erased.values()],
      writtenUsers: [...this.users.values()].map(({ ref }) => ref),
      nextOffsets: this.nextOffsets,
      skippedEvents: this.skippedEvents,
    };
  }

  add({ event, topic, partition, offset }: SourcedEvent): void {
    const partitions = this.nextOffsets.get(topic) ?? new Map<number, string>();
    this.nextOffsets.set(topic, partitions);
    partitions.set(partition, (BigInt(offset) + 1n).toString());
    const at: EventAt = { source: sourceOf(topic, partition), offset, timeMs: Date.parse(event.time), tenant: event.tenant };
    switch (event.type) {
      case EventType.ProductViewed:
        return this.productViewed(at, event);
      case EventType.CartItemAdded:
        return this.interaction(at, event, 'cart');
      case EventType.CartItemRemoved:
        return this.interaction(at, event, 'uncart');
      case EventType.ProductFavorited:
        return this.interaction(at, event, 'favorite');
      case EventType.RecommendationClicked:
        return this.interaction(at, event, 'click');
      case EventType.OrderPlaced:
        return this.orderPlaced(at, event);
      case EventType.SearchPerformed:
        return this.searchPerformed(at, event);
      case EventType.RecommendationServed:
        return this.recommendationServed(at, event);
      case EventType.CatalogItemUpserted:
        return this.catalogItemUpserted(at, event);
      case EventType.InventorySnapshotTaken:
        return this.inventorySnapshotTaken(at, event);
      case EventType.GoodsReceived:
        return this.goodsReceived(at, event);
      case EventType.UserErasureRequested:
        return this.userErasureRequested(at, event);
      // Purchases count from order.placed, the authoritative record; a purchase
      // reported against a recommendation only measures the model online, so it
      // adds no feature and only its offset (recorded above) advances.
      case EventType.RecommendationPurchased:
        return;
    }
  }

  private productViewed(at: EventAt, event: EventOfType<typeof EventType.ProductViewed>): void {
    const user = this.userEvent(at, event.data.userId);
    if (!user) return;
    const { sku } = event.data;
    this.countUserActivity(user, 'view');
    const pairedWith = this.continueSession(user, [sku], sku);
    this.rememberItem(user, 'view', sku);
    this.creditAffinity(user, 'view', sku);
    this.countItemActivity(at, sku, 'view', 1);
    for (const other of pairedWith) {
      this.creditNeighbour(at, sku, other, 'cv');
      this.creditNeighbour(at, other, sku, 'cv');
    }
  }

  private interaction(
    at: EventAt,
    event: { data: { userId: string; sku: string } },
    activity: Extract<UserActivity & ItemActivity, 'cart' | 'uncart' | 'favorite' | 'click'>,
  ): void {
    const user = this.userEvent(at, event.data.userId);
    if (!user) return;
    const { sku } = event.data;
    this.countUserActivity(user, activity);
    this.continueSession(user, [sku]);
    this.rememberItem(user, activity, sku);
    this.creditAffinity(user, activity, sku);
    this.countItemActivity(at, sku, activity, 1);
  }

  private orderPlaced(at: EventAt, event: EventOfType<typeof EventType.OrderPlaced>): void {
    const user = this.userEvent(at, event.data.userId);
    if (!user) return;
    const { items: lines, store } = event.data;
    this.countUserActivity(user, 'order');
    const value = lines.reduce((sum, line) => sum + lineValue(line.unitPrice.amount, line.quantity), 0n);
    user.ops.push(
      ['hincr', 1, 'rfm|n', 1],
      ['hincr', 1, `rfm|m|${lines[0].unitPrice.currency}`, value.toString()],
      ['hmax', 1, 'rfm|last', at.timeMs],
      ['hmin', 1, 'rfm|first', at.timeMs],
    );
    const skus = lines.map((line) => line.sku);
    this.continueSession(user, skus);
    lines.forEach((line, index) => {
      this.rememberItem(user, 'order', line.sku);
      this.creditAffinity(user, 'order', line.sku);
      this.countItemActivity(at, line.sku, 'order', 1);
      this.countItemActivity(at, line.sku, 'units', line.quantity);
      if (store) this.sold(at, line.sku, store, line.quantity, index);
    });
    const paired = [...new Set(skus)].slice(0, LIMITS.orderLinesPaired);
    for (const sku of paired) {
      for (const other of paired) if (other !== sku) this.creditNeighbour(at, sku, other, 'cp');
    }
  }

  private searchPerformed(at: EventAt, event: EventOfType<typeof EventType.SearchPerformed>): void {
    const user = this.userEvent(at, event.data.userId);
    if (!user) return;
    this.countUserActivity(user, 'search');
    this.continueSession(user, []);
  }

  private recommendationServed(at: EventAt, event: EventOfType<typeof EventType.RecommendationServed>): void {
    const user = this.userEvent(at, event.data.userId);
    if (!user) return;
    this.countUserActivity(user, 'impression');
    for (const item of event.data.items) this.countItemActivity(at, item.sku, 'impression', 1);
  }

  private catalogItemUpserted(at: EventAt, event: EventOfType<typeof EventType.CatalogItemUpserted>): void {
    const { sku, price, categoryPath, active } = event.data;
    const item = this.item(at, sku);
    item.ops.push([
      'hsetnewer',
      1,
      'cat@',
      at.timeMs,
      'price',
      price.amount,
      'cur',
      price.currency,
      'cat',
      JSON.stringify(categoryPath),
      'act',
      active ? 1 : 0,
    ]);
    // Later interactions in this batch credit the new category, as they would after this batch.
    this.categories.set(itemKeys(at.tenant, sku).main, categoryPath);
  }

  private inventorySnapshotTaken(at: EventAt, event: EventOfType<typeof EventType.InventorySnapshotTaken>): void {
    const { sku, store, onHand, onOrder, asOf } = event.data;
    const { builder, ops } = this.item(at, sku);
    const stock = skuStoreKeys(at.tenant, sku, store);
    ops.push([
      'stockcount',
      builder.key(stock.stock),
      builder.key(stock.movements),
      builder.key(itemKeys(at.tenant, sku).availability),
      store,
      Date.parse(asOf),
      onHand,
      onOrder,
    ]);
  }

  private goodsReceived(at: EventAt, event: EventOfType<typeof EventType.GoodsReceived>): void {
    const { sku, store, quantity } = event.data;
    this.stockMovement(at, sku, store, 'in', quantity, 0);
  }

  private userErasureRequested(at: EventAt, event: EventOfType<typeof EventType.UserErasureRequested>): void {
    const ref = { tenant: at.tenant, userId: event.data.userId };
    const main = userKeys(ref.tenant, ref.userId).main;
    // The erasure deletes what earlier events of this batch would have written; later ones are dropped.
    this.users.delete(main);
    this.erased.set(main, ref);
  }

  /** The user side of an event, or undefined when the user is erased or has this event already. */
  private userEvent(at: EventAt, userId: string): UserEvent | undefined {
    const keys = userKeys(at.tenant, userId);
    const guard = this.context.users.get(keys.main)?.guards.get(at.source);
    if (this.erased.has(keys.main) || this.context.erasedUsers.has(keys.main) || (guard !== undefined && BigInt(at.offset) <= BigInt(guard))) {
      this.skippedEvents++;
      return undefined;
    }
    let entry = this.users.get(keys.main);
    if (!entry) {
      entry = { ref: { tenant: at.tenant, userId }, builder: new UpdateBuilder(keys.main, this.settings.userTtlMs) };
      this.users.set(keys.main, entry);
    }
    return { at, main: keys.main, keys, builder: entry.builder, ops: entry.builder.ops(at.source, at.offset) };
  }

  private countUserActivity(user: UserEvent, activity: UserActivity): void {
    const code = ACTIVITY_CODES[activity];
    user.ops.push(
      ['win', user.builder.key(user.keys.windows), code, user.at.timeMs, 1, ...ACTIVITY_BUCKET_ARGS],
      ['decay', 1, `d|${code}`, user.at.timeMs, this.settings.activityHalfLifeMs, 1],
    );
  }

  /**
   * Moves the user's session on by one event touching `skus`; with `viewedSku`,
   * records the view and returns the items it pairs with for co-view.
   */
  private continueSession(user: UserEvent, skus: readonly string[], viewedSku?: string): string[] {
    const previous = this.sessions.has(user.main) ? this.sessions.get(user.main) : this.context.users.get(user.main)?.session;
    const { session, started } = advanceSession(previous, user.at.timeMs, this.settings.sessionGapMs);
    const sessionKey = user.builder.key(user.keys.session);
    const viewsKey = user.builder.key(user.keys.sessionViews);
    if (started) user.ops.push(['del', sessionKey], ['del', viewsKey]);
    user.ops.push(['hset', 1, 'ss', session.startedAtMs, 'sl', session.lastEventAtMs, 'sn', session.events]);
    for (const sku of skus) user.ops.push(['lpushdistinct', sessionKey, sku, LIMITS.sessionItems]);
    if (viewedSku === undefined) {
      this.sessions.set(user.main, session);
      return [];
    }
    const viewed = recordSessionView(session, viewedSku);
    user.ops.push(['lpushdistinct', viewsKey, viewedSku, LIMITS.sessionViewsPaired]);
    this.sessions.set(user.main, viewed.session);
    return viewed.pairedWith;
  }

  private rememberItem(user: UserEvent, activity: UserActivity, sku: string): void {
    user.ops.push(['lpush', user.builder.key(user.keys.recent), `${ACTIVITY_CODES[activity]}|${user.at.timeMs}|${sku}`, LIMITS.recentItems]);
  }

  /** Credits the item's category and each of its ancestors (members are JSON paths: `["Sports","Running"]`). */
  private creditAffinity(user: UserEvent, activity: UserActivity, sku: string): void {
    const weight = AFFINITY_WEIGHTS[activity];
    const path = this.categories.get(itemKeys(user.at.tenant, sku).main);
    if (!weight || !path) return;
    const key = user.builder.key(user.keys.affinity);
    for (let depth = 1; depth <= path.length; depth++) {
      user.ops.push([
        'zdecay',
        key,
        JSON.stringify(path.slice(0, depth)),
        user.at.timeMs,
        weight,
        this.settings.affinityHalfLifeMs,
        LIMITS.affinityKept,
        'L|aff',
      ]);
    }
  }

  private item(at: EventAt, sku: string): { builder: UpdateBuilder; ops: EntityOp[] } {
    const main = itemKeys(at.tenant, sku).main;
    let builder = this.items.get(main);
    if (!builder) {
      builder = new UpdateBuilder(main, 0);
      this.items.set(main, builder);
    }
    return { builder, ops: builder.ops(at.source, at.offset) };
  }

  private countItemActivity(at: EventAt, sku: string, activity: ItemActivity, amount: number): void {
    const code = ACTIVITY_CODES[activity];
    this.item(at, sku).ops.push(['hincr', 1, `n|${code}`, amount], ['decay', 1, `p|${code}`, at.timeMs, this.settings.popularityHalfLifeMs, amount]);
  }

  private creditNeighbour(at: EventAt, sku: string, neighbour: string, list: 'cv' | 'cp'): void {
    const { builder, ops } = this.item(at, sku);
    const keys = itemKeys(at.tenant, sku);
    const key = builder.key(list === 'cv' ? keys.coViewed : keys.coPurchased);
    ops.push(['zdecay', key, neighbour, at.timeMs, 1, this.settings.neighbourHalfLifeMs, LIMITS.neighboursKept, `L|${list}`]);
  }

  private sold(at: EventAt, sku: string, store: string, quantity: number, line: number): void {
    const { builder, ops } = this.item(at, sku);
    ops.push(['win', builder.key(skuStoreKeys(at.tenant, sku, store).stock), 'u', at.timeMs, quantity, ...SALES_BUCKET_ARGS]);
    this.stockMovement(at, sku, store, 'out', quantity, line);
  }

  /** A movement's member is unique per event and line, so a movement is counted once even if sent twice. */
  private stockMovement(at: EventAt, sku: string, store: string, direction: 'in' | 'out', quantity: number, line: number): void {
    const { builder, ops } = this.item(at, sku);
    const stock = skuStoreKeys(at.tenant, sku, store);
    ops.push([
      'stockmove',
      builder.key(stock.stock),
      builder.key(stock.movements),
      builder.key(itemKeys(at.tenant, sku).availability),
      store,
      `${direction}:${quantity}:${at.source}/${at.offset}/${line}`,
      direction,
      quantity,
      at.timeMs,
    ]);
  }
}
