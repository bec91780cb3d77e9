import { MlInputError } from './errors';
import { fnv1a32, mulberry32, shuffleInPlace } from './random';
import { stratifiedSplitByUser, temporalSplit } from './split';

interface Rating {
  userId: string;
  itemId: string;
  timestamp: number;
}

/** `counts[u]` interactions for user `u<index>`, interleaved across users like a real log. */
function makeRatings(counts: readonly number[]): Rating[] {
  const ratings: Rating[] = [];
  const max = Math.max(...counts);
  for (let i = 0; i < max; i += 1) {
    counts.forEach((count, u) => {
      if (i < count) ratings.push({ userId: `u${u}`, itemId: `i${i}`, timestamp: i });
    });
  }
  return ratings;
}

const byUser = (ratings: readonly Rating[], userId: string): Rating[] => ratings.filter((r) => r.userId === userId);

describe('mulberry32', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, mulberry32(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('returns floats in [0, 1) with mean close to 1/2', () => {
    const random = mulberry32(1);
    let sum = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    // standard error of the mean is sqrt(1/12 / 10000) = 0.0029
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.015);
  });

  it('rejects seeds outside uint32', () => {
    expect(() => mulberry32(-1)).toThrow(/seed must be an integer in \[0, 2\^32\)/);
    expect(() => mulberry32(1.5)).toThrow(MlInputError);
    expect(() => mulberry32(2 ** 32)).toThrow(MlInputError);
  });
});

describe('fnv1a32', () => {
  it('matches the published FNV-1a test vectors', () => {
    // offset basis for the empty string; "a" and "foobar" from the FNV reference test suite
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});

describe('shuffleInPlace', () => {
  it('produces every position with about equal frequency', () => {
    // 4000 shuffles of [0, 1, 2, 3]: each item lands first ~1000 times (sd ~ 27)
    const firsts = [0, 0, 0, 0];
    const random = mulberry32(3);
    for (let i = 0; i < 4000; i += 1) firsts[shuffleInPlace([0, 1, 2, 3], random)[0]] += 1;
    for (const count of firsts) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});

describe('stratifiedSplitByUser', () => {
  // test count per user = n - #{i in 1..n : i/n <= 0.75}:
  // n=1: 1 (1/1 > 0.75)   n=2: 1   n=3: 1   n=4: 1 (3/4 <= 0.75)
  // n=6: 2 (5/6, 6/6)     n=8: 2   n=10: 3 (8/10, 9/10, 10/10)   n=20: 5
  const counts = [1, 2, 3, 4, 6, 8, 10, 20];
  const expectedTest = [1, 1, 1, 1, 2, 2, 3, 5];
  const ratings = makeRatings(counts);

  it('puts the Recommenders share of each user in test', () => {
    const { train, test } = stratifiedSplitByUser(ratings, 0.25, 42);
    counts.forEach((n, u) => {
      expect(byUser(test, `u${u}`)).toHaveLength(expectedTest[u]);
      expect(byUser(train, `u${u}`)).toHaveLength(n - expectedTest[u]);
    });
  });

  it('is disjoint and covers the input, keeping input order', () => {
    const { train, test } = stratifiedSplitByUser(ratings, 0.25, 42);
    expect(train.length + test.length).toBe(ratings.length);
    const inTrain = new Set(train);
    for (const r of test) expect(inTrain.has(r)).toBe(false);
    expect(new Set([...train, ...test]).size).toBe(ratings.length);
    const position = new Map(ratings.map((r, i) => [r, i]));
    const isAscending = (xs: Rating[]) => xs.every((r, i) => i === 0 || position.get(xs[i - 1])! < position.get(r)!);
    expect(isAscending(train)).toBe(true);
    expect(isAscending(test)).toBe(true);
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const testItems = (seed: number) => byUser(stratifiedSplitByUser(ratings, 0.25, seed).test, 'u7').map((r) => r.itemId);
    expect(testItems(42)).toEqual(testItems(42));
    // 5 of user u7's 20 items: C(20, 5) = 15504 possible test sets
    expect(testItems(42)).not.toEqual(testItems(43));
  });

  it("does not change a user's split when other users are added", () => {
    const alone = byUser(stratifiedSplitByUser(byUser(ratings, 'u7'), 0.25, 5).test, 'u7');
    const withOthers = byUser(stratifiedSplitByUser(ratings, 0.25, 5).test, 'u7');
    expect(withOthers).toEqual(alone);
  });

  it('picks test items uniformly within a user', () => {
    // user with 4 items, 1 in test; over 800 seeds each item should be picked ~200 times (sd ~ 12)
    const four = makeRatings([4]);
    const picked = new Map<string, number>();
    for (let seed = 0; seed < 800; seed += 1) {
      const [only] = stratifiedSplitByUser(four, 0.25, seed).test;
      picked.set(only.itemId, (picked.get(only.itemId) ?? 0) + 1);
    }
    expect([...picked.keys()].sort()).toEqual(['i0', 'i1', 'i2', 'i3']);
    for (const count of picked.values()) expect(Math.abs(count - 200)).toBeLessThan(60);
  });

  it('honours other fractions', () => {
    // testFraction 0.5, n=10: 5/10 <= 0.5 stays in train -> 5 test; n=3: 1/3 train -> 2 test
    const { test } = stratifiedSplitByUser(makeRatings([10, 3]), 0.5, 1);
    expect(byUser(test, 'u0')).toHaveLength(5);
    expect(byUser(test, 'u1')).toHaveLength(2);
  });

  it('validates the fraction and the seed', () => {
    for (const fraction of [0, 1, -0.1, Number.NaN]) {
      expect(() => stratifiedSplitByUser(ratings, fraction, 1)).toThrow(/testFraction must be in \(0, 1\)/);
    }
    expect(() => stratifiedSplitByUser(ratings, 0.25, -3)).toThrow(MlInputError);
  });
});

describe('temporalSplit', () => {
  it('trains strictly before the cutoff and tests from it on', () => {
    const events = [5, 10, 15, 10, 9].map((timestamp, i) => ({ id: i, timestamp }));
    const { train, test } = temporalSplit(events, 10);
    expect(train.map((e) => e.id)).toEqual([0, 4]);
    expect(test.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('rejects a non-finite cutoff or timestamp', () => {
    expect(() => temporalSplit([], Number.NaN)).toThrow(/cutoff must be a finite number/);
    expect(() => temporalSplit([{ timestamp: Number.NaN }], 1)).toThrow(/interactions\[0\].timestamp/);
  });
});
