import { EventType, type EventInputOfType } from '@storeloop/contracts';
import type { MovieLensItem, MovieLensRating } from '../datasets';

/** A MovieLens user turned shopper: what they did before the test, and what they will want during it. */
export interface Shopper {
  userId: string;
  /** The older share of their ratings, oldest first: replayed as views (and orders) before the storefront opens. */
  history: MovieLensRating[];
  /** SKUs of their newer ratings of 4 or 5 stars: what they click when a served list shows it. */
  wants: Set<string>;
  /** The wants rated 5 stars: what they also buy after clicking (a subset of `wants`). */
  favourites: Set<string>;
}

export interface ShopperSelection {
  /** Users with the most ratings are taken first (ties: lower id). */
  users: number;
  /** Each user's newest this-many ratings; older ones are left out, which keeps the replay small. */
  ratingsPerUser: number;
  /** Newest share of each user's kept ratings held out as their future wants (0.2: the older 80 % are replayed). */
  heldOutFraction: number;
  /** A held-out rating at or above this is a "would click". */
  likedRating: number;
}

export type ReplayEvent =
  | EventInputOfType<typeof EventType.CatalogItemUpserted>
  | EventInputOfType<typeof EventType.ProductViewed>
  | EventInputOfType<typeof EventType.OrderPlaced>;

export const skuOf = (itemId: string) => `ml-${itemId}`;
export const shopperIdOf = (userId: string) => `ml-user-${userId}`;

/**
 * Picks the shoppers and splits each one's ratings by time: the older part is
 * their past (replayed), the newer liked part what they will click. A user's
 * ratings with equal timestamps keep file order, so the split is deterministic.
 */
export function selectShoppers(ratings: readonly MovieLensRating[], selection: ShopperSelection): Shopper[] {
  const byUser = new Map<string, MovieLensRating[]>();
  for (const rating of ratings) {
    const own = byUser.get(rating.userId);
    if (own) own.push(rating);
    else byUser.set(rating.userId, [rating]);
  }
  const chosen = [...byUser.entries()]
    .sort(([a, ra], [b, rb]) => rb.length - ra.length || Number(a) - Number(b))
    .slice(0, selection.users);
  return chosen.map(([userId, own]) => {
    const kept = own
      .map((rating, index) => ({ rating, index }))
      .sort((a, b) => a.rating.timestamp - b.rating.timestamp || a.index - b.index)
      .map(({ rating }) => rating)
      .slice(-selection.ratingsPerUser);
    const cut = Math.round(kept.length * (1 - selection.heldOutFraction));
    const history = kept.slice(0, cut);
    const liked = kept.slice(cut).filter((rating) => rating.rating >= selection.likedRating);
    const wants = new Set(liked.map((rating) => skuOf(rating.itemId)));
    const favourites = new Set(liked.filter((rating) => rating.rating === 5).map((rating) => skuOf(rating.itemId)));
    return { userId: shopperIdOf(userId), history, wants, favourites };
  });
}

/** A stable price per item (MovieLens has none): 4.99 to 23.99. */
export function priceOf(itemId: string): string {
  return `${4 + (Number(itemId) % 20)}.99`;
}

export interface ReplayOptions {
  /** Makes event ids unique to one run (ingestion drops repeated ids). */
  runTag: string;
  /** The replayed history is moved into [endMs - spanMs, endMs], keeping order and relative spacing. */
  endMs: number;
  spanMs: number;
  /** CloudEvents `source` of every replayed event. */
  source?: string;
}

const DEFAULT_SOURCE = '/storeloop/e2e/movielens-replay';

/**
 * The events a shop would have published for these shoppers: a catalogue
 * upsert per item they rated (history and wants alike, so every wanted item
 * can be recommended), then a product view per replayed rating and an order
 * for every replayed rating of 4 or more, at the rating's time mapped into
 * the recent past (the feature store's windows and popularity decay work on
 * recent event time).
 */
export function replayEvents(shoppers: readonly Shopper[], items: readonly MovieLensItem[], options: ReplayOptions): ReplayEvent[] {
  const history = shoppers.flatMap((shopper) => shopper.history);
  // A loop, not Math.min(...): the whole dataset's 100,000 ratings would overflow the argument stack.
  let first = Infinity;
  let last = -Infinity;
  for (const { timestamp } of history) {
    if (timestamp < first) first = timestamp;
    if (timestamp > last) last = timestamp;
  }
  const SOURCE = options.source ?? DEFAULT_SOURCE;
  const at = (timestamp: number) => {
    const share = last > first ? (timestamp - first) / (last - first) : 1;
    return new Date(options.endMs - options.spanMs + Math.round(share * options.spanMs)).toISOString();
  };
  const catalogueTime = new Date(options.endMs - options.spanMs - 60_000).toISOString();

  const rated = new Set<string>(history.map((r) => skuOf(r.itemId)));
  for (const shopper of shoppers) for (const sku of shopper.wants) rated.add(sku);
  const catalogue = items
    .filter((item) => rated.has(skuOf(item.id)))
    .map(
      (item): ReplayEvent => ({
        specversion: '1.0',
        id: `${options.runTag}-item-${item.id}`,
        source: SOURCE,
        type: EventType.CatalogItemUpserted,
        time: catalogueTime,
        data: {
          sku: skuOf(item.id),
          title: item.title,
          categoryPath: [item.genres[0] ?? 'unknown'],
          price: { amount: priceOf(item.id), currency: 'USD' },
          attributes: { year: item.year ?? 0 },
        },
      }),
    );

  const behaviour = shoppers.flatMap((shopper) =>
    shopper.history.flatMap((rating): ReplayEvent[] => {
      const time = at(rating.timestamp);
      const id = `${options.runTag}-${rating.userId}-${rating.itemId}`;
      const sku = skuOf(rating.itemId);
      const view: ReplayEvent = { specversion: '1.0', id: `${id}-view`, source: SOURCE, type: EventType.ProductViewed, time, data: { userId: shopper.userId, channel: 'web', sku } };
      if (rating.rating < 4) return [view];
      const order: ReplayEvent = {
        specversion: '1.0',
        id: `${id}-order`,
        source: SOURCE,
        type: EventType.OrderPlaced,
        time,
        data: { userId: shopper.userId, channel: 'web', orderId: `${id}-order`, items: [{ sku, quantity: 1, unitPrice: { amount: priceOf(rating.itemId), currency: 'USD' } }] },
      };
      return [view, order];
    }),
  );
  behaviour.sort((a, b) => Date.parse(a.time as string) - Date.parse(b.time as string));
  return [...catalogue, ...behaviour];
}
