import { mulberry32 } from '../random';
import { kMeans, silhouetteScore } from './kmeans';
import { quantile, rfmScores } from './rfm';
import { assignSegment, segmentUsers } from './segmentation';
import type { SegmentUserRow } from './user-row';

describe('rfmScores', () => {
  const rows: SegmentUserRow[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => ({
    userId: `u${i}`,
    recencyDays: i * 10, // u1 most recent
    frequency: i,
    monetary: 100 - i,
  }));

  it('gives quintile scores, recency reversed', () => {
    // cuts of 1..10 at 20/40/60/80%: 2.8, 4.6, 6.4, 8.2
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.2)).toBeCloseTo(2.8, 12);
    const scores = rfmScores(rows);
    expect(scores.map((s) => s.frequency)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(scores.map((s) => s.recency)).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    expect(scores.map((s) => s.monetary)).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    expect(scores[0].code).toBe('515');
  });

  it('keeps tied users on one score', () => {
    const tied = rfmScores(rows.map((r, i) => ({ ...r, frequency: i < 7 ? 1 : i })));
    expect(new Set(tied.slice(0, 7).map((s) => s.frequency)).size).toBe(1);
  });

  it('rejects negative or missing facts', () => {
    expect(() => rfmScores([{ userId: 'x', recencyDays: -1, frequency: 1, monetary: 1 }])).toThrow(/recencyDays must be a finite number >= 0/);
    expect(() => rfmScores([])).toThrow(/at least one user/);
  });
});

/** Three well-separated blobs in 2-D. */
function blobs(perBlob: number, seed: number): number[][] {
  const random = mulberry32(seed);
  const centres = [[0, 0], [10, 0], [0, 10]];
  return centres.flatMap(([x, y]) => Array.from({ length: perBlob }, () => [x + random() - 0.5, y + random() - 0.5]));
}

describe('kMeans', () => {
  it('finds separated clusters, reproducibly', () => {
    const points = blobs(30, 1);
    const result = kMeans(points, { k: 3, seed: 4 });
    const groups = [0, 30, 60].map((start) => new Set(result.assignments.slice(start, start + 30)));
    groups.forEach((g) => expect(g.size).toBe(1));
    expect(new Set(groups.map((g) => [...g][0])).size).toBe(3);
    expect(kMeans(points, { k: 3, seed: 4 })).toEqual(result);
    // within-blob spread is uniform on a unit square: inertia about 90 * (1/12 + 1/12) = 15
    expect(result.inertia).toBeLessThan(20);
  });

  it('silhouette is high for the true k and lower for a wrong one', () => {
    const points = blobs(30, 2);
    const right = silhouetteScore(points, kMeans(points, { k: 3, seed: 1 }).assignments);
    const wrong = silhouetteScore(points, kMeans(points, { k: 2, seed: 1 }).assignments);
    expect(right).toBeGreaterThan(0.85);
    expect(wrong).toBeLessThan(right);
    expect(() => silhouetteScore(points, points.map(() => 0))).toThrow(/at least two clusters/);
  });

  it('validates k', () => {
    expect(() => kMeans([[1], [2]], { k: 3, seed: 1 })).toThrow('k (3) must not exceed the number of points (2)');
  });
});

describe('segmentUsers', () => {
  // Two populations: recent frequent big spenders who like jazz, lapsed one-off small spenders who like pop.
  const random = mulberry32(8);
  const rows: SegmentUserRow[] = [
    ...Array.from({ length: 40 }, (_, i) => ({
      userId: `loyal${i}`,
      recencyDays: 2 + random() * 5,
      frequency: 12 + Math.floor(random() * 6),
      monetary: 400 + random() * 200,
      categories: { jazz: 5, pop: 1 },
    })),
    ...Array.from({ length: 60 }, (_, i) => ({
      userId: `lapsed${i}`,
      recencyDays: 150 + random() * 100,
      frequency: 1,
      monetary: 10 + random() * 10,
      categories: { pop: 3, rock: 1 },
    })),
  ];

  it('chooses k by silhouette and profiles each segment readably', () => {
    const segmentation = segmentUsers(rows, { seed: 3, kRange: [2, 4] });
    expect(segmentation.k).toBe(2);
    expect(segmentation.selection.rule).toBe('silhouette');
    expect(segmentation.selection.candidates.map((c) => c.k)).toEqual([2, 3, 4]);
    const loyal = segmentation.profiles.find((p) => p.size === 40);
    const lapsed = segmentation.profiles.find((p) => p.size === 60);
    // recency 4.5 vs 122 days overall, 14.5 vs 6.4 purchases, 500 vs 209 spend
    expect(loyal?.name).toBe('very recent loyal high spenders');
    expect(lapsed?.name).toBe('lapsed one-off low spenders');
    expect(loyal?.topCategories[0]).toEqual({ category: 'jazz', share: 5 / 6 });
    expect(lapsed?.meanFrequency).toBe(1);
    expect(loyal?.meanRfm.recency).toBeGreaterThan(lapsed?.meanRfm.recency ?? 5);
    expect(loyal?.description).toMatch(/^40 users \(40\.0%\)/);
    const newcomer = assignSegment(segmentation, { userId: 'n', recencyDays: 3, frequency: 14, monetary: 500 });
    expect(newcomer).toBe(loyal?.segment);
  });

  it('honours a configured k and extra features', () => {
    const withExtra = rows.map((r, i) => ({ ...r, extra: { returns: i % 2 } }));
    const segmentation = segmentUsers(withExtra, { seed: 3, k: 3 });
    expect(segmentation.k).toBe(3);
    expect(segmentation.selection).toEqual({ rule: 'configured', candidates: [] });
    expect(segmentation.featureNames).toEqual(['logRecencyDays', 'logFrequency', 'logMonetary', 'returns']);
    expect(() => segmentUsers([withExtra[0], rows[1]], { seed: 1, k: 1 })).toThrow(/extra keys/);
  });
});
