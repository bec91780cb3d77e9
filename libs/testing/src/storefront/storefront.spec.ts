import { firstVisitTallies, type Visit } from './storefront';

const visit = (userId: string, modelVersion: string, items: number, clicks: number): Visit => ({
  list: { recommendationId: `${userId}-${modelVersion}-${clicks}`, userId, modelVersion, coldStart: false, items: Array.from({ length: items }, (_, i) => ({ sku: `s${i}`, position: i + 1 })) },
  clicks,
});

describe('firstVisitTallies', () => {
  it("counts only each shopper's first list per version", () => {
    const tallies = firstVisitTallies([
      visit('a', 'popularity', 10, 2),
      visit('b', 'popularity', 10, 0),
      visit('a', 'popularity', 10, 1),
      visit('a', 'v1', 8, 3),
      visit('a', 'v1', 8, 0),
      visit('b', 'v1', 10, 1),
    ]);
    expect(Object.fromEntries(tallies)).toEqual({
      popularity: { lists: 2, itemsShown: 20, clicks: 2, purchases: 0 },
      v1: { lists: 2, itemsShown: 18, clicks: 4, purchases: 0 },
    });
  });
});
