import { EventType, parseEvent } from '@storeloop/contracts';
import { loadMovieLensInteractions, loadMovieLensItems, type MovieLensItem, type MovieLensRating } from '../datasets';
import { replayEvents, selectShoppers, skuOf } from './movielens-shoppers';

const rating = (userId: string, itemId: string, stars: number, timestamp: number): MovieLensRating => ({ userId, itemId, rating: stars, timestamp });

describe('selectShoppers', () => {
  // User 1 rates 10 items (items 1..10 at t=1..10, stars alternate 5/3), user 2 rates 3, user 3 rates 10 (ties with user 1).
  const ratings: MovieLensRating[] = [
    ...Array.from({ length: 10 }, (_, i) => rating('1', String(10 - i), i % 2 === 0 ? 3 : 5, 10 - i)),
    ...Array.from({ length: 3 }, (_, i) => rating('2', String(i + 1), 5, i)),
    ...Array.from({ length: 10 }, (_, i) => rating('3', String(i + 1), 4, 100 + i)),
  ];

  it('takes the users with most ratings (ties by id), their newest ratings, and splits them by time', () => {
    const shoppers = selectShoppers(ratings, { users: 2, ratingsPerUser: 5, heldOutFraction: 0.2, likedRating: 4 });
    expect(shoppers.map((s) => s.userId)).toEqual(['ml-user-1', 'ml-user-3']);
    // User 1's newest five are items 6..10 (t=6..10); the oldest four of them are the past.
    expect(shoppers[0].history.map((r) => r.timestamp)).toEqual([6, 7, 8, 9]);
    // Item 10 (t=10) was rated 3: not wanted.
    expect([...shoppers[0].wants]).toEqual([]);
    expect(shoppers[1].history.map((r) => r.itemId)).toEqual(['6', '7', '8', '9']);
    expect([...shoppers[1].wants]).toEqual([skuOf('10')]);
    // User 3 rated it 4 stars: wanted, not a favourite.
    expect([...shoppers[1].favourites]).toEqual([]);
  });

  it('keeps the 5-star wants as favourites, a subset of the wants', () => {
    const [user2] = selectShoppers(ratings.filter((r) => r.userId === '2'), { users: 1, ratingsPerUser: 3, heldOutFraction: 0.34, likedRating: 4 });
    expect([...user2.wants]).toEqual([skuOf('3')]);
    expect([...user2.favourites]).toEqual([skuOf('3')]);
  });
});

describe('replayEvents (real MovieLens-100K)', () => {
  let ratings: MovieLensRating[];
  let items: MovieLensItem[];

  beforeAll(async () => {
    [ratings, items] = await Promise.all([loadMovieLensInteractions(), loadMovieLensItems()]);
  });

  it('gives valid events: catalogue first, then views and orders in time order inside the span, with unique ids', () => {
    const shoppers = selectShoppers(ratings, { users: 20, ratingsPerUser: 30, heldOutFraction: 0.2, likedRating: 4 });
    const endMs = Date.UTC(2026, 0, 10);
    const spanMs = 24 * 3_600_000;
    const events = replayEvents(shoppers, items, { runTag: 'unit', endMs, spanMs });

    for (const event of events) expect(parseEvent(event)).toMatchObject({ ok: true });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    const catalogue = events.filter((e) => e.type === EventType.CatalogItemUpserted);
    const behaviour = events.slice(catalogue.length);
    expect(events.slice(0, catalogue.length)).toEqual(catalogue);
    const history = shoppers.flatMap((s) => s.history);
    expect(behaviour.filter((e) => e.type === EventType.ProductViewed)).toHaveLength(history.length);
    expect(behaviour.filter((e) => e.type === EventType.OrderPlaced)).toHaveLength(history.filter((r) => r.rating >= 4).length);

    const times = behaviour.map((e) => Date.parse(e.time as string));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.min(...times)).toBe(endMs - spanMs);
    expect(Math.max(...times)).toBe(endMs);

    // Every wanted item is in the catalogue, and no shopper wants what they rated before.
    const skus = new Set(catalogue.map((e) => (e.data as { sku: string }).sku));
    for (const shopper of shoppers) {
      for (const sku of shopper.wants) expect(skus.has(sku)).toBe(true);
      const past = new Set(shopper.history.map((r) => skuOf(r.itemId)));
      expect([...shopper.wants].filter((sku) => past.has(sku))).toEqual([]);
      expect(shopper.history).toHaveLength(24);
    }
  });
});
