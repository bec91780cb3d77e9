/**
 * k-means (Lloyd's algorithm) with k-means++ seeding (Arthur & Vassilvitskii
 * 2007), seeded and restarted a few times keeping the lowest inertia, plus
 * the silhouette score used to choose k.
 */
import { MlInputError, requirePositiveInteger } from '../errors';
import { mulberry32, requireSeed, shuffleInPlace, type Random } from '../random';

export interface KMeansOptions {
  k: number;
  seed: number;
  /** Lloyd iterations per run at most. Default 100. */
  maxIterations?: number;
  /** Independent k-means++ runs; the lowest inertia wins. Default 4. */
  restarts?: number;
}

export interface KMeansResult {
  centroids: number[][];
  /** Cluster index of each point. */
  assignments: number[];
  /** Sum of squared distances of points to their centroid. */
  inertia: number;
  iterations: number;
}

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < a.length; j += 1) sum += (a[j] - b[j]) ** 2;
  return sum;
}

function validatePoints(points: readonly (readonly number[])[]): number {
  if (points.length === 0) throw new MlInputError('k-means needs at least one point');
  const width = points[0].length;
  points.forEach((p, i) => {
    if (p.length !== width) throw new MlInputError(`points[${i}] has ${p.length} dimensions, expected ${width}`);
    if (!p.every(Number.isFinite)) throw new MlInputError(`points[${i}] has a non-finite coordinate`);
  });
  return width;
}

/** k-means++: each next centre drawn with probability proportional to its squared distance to the nearest chosen one. */
function seedCentroids(points: readonly (readonly number[])[], k: number, random: Random): number[][] {
  const centroids = [[...points[Math.floor(random() * points.length)]]];
  const nearest = points.map((p) => squaredDistance(p, centroids[0]));
  while (centroids.length < k) {
    const total = nearest.reduce((s, d) => s + d, 0);
    let chosen = 0;
    if (total > 0) {
      let target = random() * total;
      for (chosen = 0; chosen < points.length - 1; chosen += 1) {
        target -= nearest[chosen];
        if (target < 0) break;
      }
    } else {
      chosen = Math.floor(random() * points.length); // all points coincide with centres
    }
    const centre = [...points[chosen]];
    centroids.push(centre);
    points.forEach((p, i) => (nearest[i] = Math.min(nearest[i], squaredDistance(p, centre))));
  }
  return centroids;
}

function lloyd(points: readonly (readonly number[])[], centroids: number[][], maxIterations: number): KMeansResult {
  const k = centroids.length;
  const width = points[0].length;
  const assignments = new Array<number>(points.length).fill(-1);
  let iterations = 0;
  for (; iterations < maxIterations; iterations += 1) {
    let changed = false;
    points.forEach((p, i) => {
      let best = 0;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c += 1) {
        const d = squaredDistance(p, centroids[c]);
        if (d < bestDistance) [best, bestDistance] = [c, d];
      }
      if (assignments[i] !== best) [assignments[i], changed] = [best, true];
    });
    if (!changed) break;
    const sums = Array.from({ length: k }, () => new Array<number>(width).fill(0));
    const counts = new Array<number>(k).fill(0);
    points.forEach((p, i) => {
      counts[assignments[i]] += 1;
      for (let j = 0; j < width; j += 1) sums[assignments[i]][j] += p[j];
    });
    // An emptied cluster keeps its old centre; it may win points back next round.
    for (let c = 0; c < k; c += 1) if (counts[c] > 0) centroids[c] = sums[c].map((s) => s / counts[c]);
  }
  const inertia = points.reduce((s, p, i) => s + squaredDistance(p, centroids[assignments[i]]), 0);
  return { centroids, assignments, inertia, iterations };
}

export function kMeans(points: readonly (readonly number[])[], options: KMeansOptions): KMeansResult {
  validatePoints(points);
  const { k, seed, maxIterations = 100, restarts = 4 } = options;
  requirePositiveInteger(k, 'k');
  requirePositiveInteger(maxIterations, 'maxIterations');
  requirePositiveInteger(restarts, 'restarts');
  requireSeed(seed);
  if (k > points.length) throw new MlInputError(`k (${k}) must not exceed the number of points (${points.length})`);
  const random = mulberry32(seed);
  let best: KMeansResult | undefined;
  for (let run = 0; run < restarts; run += 1) {
    const result = lloyd(points, seedCentroids(points, k, random), maxIterations);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best as KMeansResult;
}

/**
 * Mean silhouette (Rousseeuw 1987): per point (b - a) / max(a, b), with a
 * the mean distance to its own cluster and b to the nearest other cluster;
 * points alone in their cluster score 0. O(m^2) in the points scored, so
 * large inputs are scored on a seeded random sample of `sampleSize` points.
 */
export function silhouetteScore(
  points: readonly (readonly number[])[],
  assignments: readonly number[],
  options: { sampleSize?: number; seed?: number } = {},
): number {
  validatePoints(points);
  if (assignments.length !== points.length) throw new MlInputError('assignments must have one entry per point');
  const { sampleSize = 2000, seed = 0 } = options;
  let indices = points.map((_, i) => i);
  if (indices.length > sampleSize) indices = shuffleInPlace(indices, mulberry32(seed)).slice(0, sampleSize);
  const clusters = [...new Set(indices.map((i) => assignments[i]))];
  if (clusters.length < 2) throw new MlInputError('silhouette needs at least two clusters among the scored points');
  let total = 0;
  for (const i of indices) {
    const sums = new Map<number, { sum: number; count: number }>(clusters.map((c) => [c, { sum: 0, count: 0 }]));
    for (const j of indices) {
      if (i === j) continue;
      const entry = sums.get(assignments[j]) as { sum: number; count: number };
      entry.sum += Math.sqrt(squaredDistance(points[i], points[j]));
      entry.count += 1;
    }
    const own = sums.get(assignments[i]) as { sum: number; count: number };
    if (own.count === 0) continue;
    const a = own.sum / own.count;
    let b = Number.POSITIVE_INFINITY;
    for (const [cluster, { sum, count }] of sums) if (cluster !== assignments[i] && count > 0) b = Math.min(b, sum / count);
    total += Math.max(a, b) === 0 ? 0 : (b - a) / Math.max(a, b);
  }
  return total / indices.length;
}
