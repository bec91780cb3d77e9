import {
  loadMovieLensInteractions,
  loadMovieLensItems,
  loadMovieLensUsers,
  MovieLensItem,
  MovieLensRating,
  MovieLensUser,
} from './movielens';

// Facts from shared/data/README.md and the GroupLens ml-100k README, checked
// against the real files in the default data directory.
describe('MovieLens 100K (real data)', () => {
  let ratings: MovieLensRating[];
  let items: MovieLensItem[];
  let users: MovieLensUser[];

  beforeAll(async () => {
    [ratings, items, users] = await Promise.all([
      loadMovieLensInteractions(),
      loadMovieLensItems(),
      loadMovieLensUsers(),
    ]);
  });

  it('has 100,000 ratings by 943 users of 1,682 items', () => {
    expect(ratings).toHaveLength(100_000);
    expect(new Set(ratings.map((r) => r.userId)).size).toBe(943);
    expect(new Set(ratings.map((r) => r.itemId)).size).toBe(1_682);
  });

  it('has whole-star ratings from 1 to 5, each used', () => {
    const stars = new Set(ratings.map((r) => r.rating));
    expect([...stars].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('has Unix-second timestamps from 1997-09-20 to 1998-04-22 and at least 20 ratings per user', () => {
    const times = ratings.map((r) => r.timestamp);
    expect(new Date(Math.min(...times) * 1000).toISOString().slice(0, 10)).toBe('1997-09-20');
    expect(new Date(Math.max(...times) * 1000).toISOString().slice(0, 10)).toBe('1998-04-22');
    const perUser = new Map<string, number>();
    for (const r of ratings) perUser.set(r.userId, (perUser.get(r.userId) ?? 0) + 1);
    expect(Math.min(...perUser.values())).toBe(20);
  });

  it('reads the first rating exactly', () => {
    expect(ratings[0]).toEqual({ userId: '196', itemId: '242', rating: 3, timestamp: 881250949 });
  });

  it('describes every rated item once, with year and genres', () => {
    expect(items).toHaveLength(1_682);
    const ids = new Set(items.map((i) => i.id));
    expect(ids.size).toBe(1_682);
    expect(ratings.every((r) => ids.has(r.itemId))).toBe(true);
    expect(items[0]).toEqual({ id: '1', title: 'Toy Story', year: 1995, genres: ['Animation', "Children's", 'Comedy'] });
  });

  it('gives a null year where the file has none (items 267 and 1412)', () => {
    const yearless = items.filter((i) => i.year === null).map((i) => i.id);
    expect(yearless).toEqual(['267', '1412']);
    expect(items.every((i) => i.year === null || (i.year >= 1922 && i.year <= 1998))).toBe(true);
  });

  it('describes 943 users: 670 men, 273 women, text zip codes', () => {
    expect(users).toHaveLength(943);
    expect(new Set(users.map((u) => u.id))).toEqual(new Set(ratings.map((r) => r.userId)));
    expect(users.filter((u) => u.gender === 'M')).toHaveLength(670);
    expect(users.filter((u) => u.gender === 'F')).toHaveLength(273);
    expect(users[0]).toEqual({ id: '1', age: 24, gender: 'M', occupation: 'technician', zip: '85711' });
    expect(users.some((u) => u.zip === 'E2A4H')).toBe(true);
  });
});
