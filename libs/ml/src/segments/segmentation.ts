/**
 * Consumer segments: k-means over standardised user features, with k either
 * configured or chosen by the best mean silhouette over a small range, and a
 * readable profile per segment.
 */
import { MlInputError } from '../errors';
import { fitStandardizer, standardize, type StandardizerState } from '../propensity/standardizer';
import { kMeans, silhouetteScore } from './kmeans';
import { rfmScores, type RfmScore } from './rfm';
import { type SegmentUserRow, validateUserRows } from './user-row';

export interface SegmentationOptions {
  seed: number;
  /** A fixed number of segments; when absent k is chosen from `kRange` by silhouette. */
  k?: number;
  /** Candidate k values, inclusive. Default [2, 8]. */
  kRange?: [number, number];
  /** Points the silhouette is computed on (a seeded sample). Default 2000. */
  silhouetteSample?: number;
  /** Top categories listed per profile. Default 3. */
  topCategories?: number;
}

export interface SegmentProfile {
  segment: number;
  name: string;
  description: string;
  size: number;
  share: number;
  meanRecencyDays: number;
  meanFrequency: number;
  meanMonetary: number;
  /** Mean RFM quintile scores of the members. */
  meanRfm: { recency: number; frequency: number; monetary: number };
  /** Categories with the largest share of the segment's summed affinity. */
  topCategories: { category: string; share: number }[];
}

export interface Segmentation {
  k: number;
  /** How k was set and, when chosen, the silhouette of every candidate. */
  selection: { rule: 'configured' | 'silhouette'; candidates: { k: number; silhouette: number; inertia: number }[] };
  featureNames: string[];
  standardizer: StandardizerState;
  /** Centroids in standardised feature space: assign a new user with `assignSegment`. */
  centroids: number[][];
  assignments: { userId: string; segment: number; rfm: RfmScore }[];
  profiles: SegmentProfile[];
}

/**
 * Clustering features: log1p of recency, frequency and monetary (all heavy
 * tailed; without the log a few big spenders become their own clusters),
 * then any `extra` features as given, all standardised.
 */
export function segmentFeatures(rows: readonly SegmentUserRow[]): { names: string[]; values: number[][] } {
  const extraNames = Object.keys(rows[0].extra ?? {}).sort();
  return {
    names: ['logRecencyDays', 'logFrequency', 'logMonetary', ...extraNames],
    values: rows.map((r) => [
      Math.log1p(r.recencyDays),
      Math.log1p(r.frequency),
      Math.log1p(r.monetary),
      ...extraNames.map((name) => (r.extra as Record<string, number>)[name]),
    ]),
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

/**
 * A short name from how the segment compares with all users, as ratios of
 * the segment mean to the overall mean: recency (< 0.25 "very recent",
 * < 0.6 "recent", > 1.1 "lapsed", else "steady"), frequency (> 3 "very
 * loyal", > 1.5 "loyal", < 0.8 "one-off", else "occasional") and spend
 * (> 3 "top spenders", > 1.5 "high spenders", < 0.7 "low spenders", else
 * "mid spenders"), e.g. "recent loyal high spenders".
 */
function nameSegment(segment: { recency: number; frequency: number; monetary: number }, overall: { recency: number; frequency: number; monetary: number }): string {
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
  const r = ratio(segment.recency, overall.recency);
  const f = ratio(segment.frequency, overall.frequency);
  const m = ratio(segment.monetary, overall.monetary);
  const words = [
    r < 0.25 ? 'very recent' : r < 0.6 ? 'recent' : r > 1.1 ? 'lapsed' : 'steady',
    f > 3 ? 'very loyal' : f > 1.5 ? 'loyal' : f < 0.8 ? 'one-off' : 'occasional',
    m > 3 ? 'top spenders' : m > 1.5 ? 'high spenders' : m < 0.7 ? 'low spenders' : 'mid spenders',
  ];
  return words.join(' ');
}

export function segmentUsers(rows: readonly SegmentUserRow[], options: SegmentationOptions): Segmentation {
  validateUserRows(rows);
  const { seed, kRange = [2, 8], silhouetteSample = 2000, topCategories = 3 } = options;
  const features = segmentFeatures(rows);
  const standardizer = fitStandardizer(features.values, features.names);
  const points = standardize(standardizer, features.values);

  const candidates: { k: number; silhouette: number; inertia: number }[] = [];
  let chosen;
  if (options.k !== undefined) {
    chosen = kMeans(points, { k: options.k, seed });
  } else {
    const [low, high] = kRange;
    if (!(Number.isSafeInteger(low) && Number.isSafeInteger(high) && low >= 2 && high >= low)) {
      throw new MlInputError(`kRange must be integers with 2 <= low <= high, got [${low}, ${high}]`);
    }
    let bestSilhouette = Number.NEGATIVE_INFINITY;
    for (let k = low; k <= Math.min(high, rows.length - 1); k += 1) {
      const result = kMeans(points, { k, seed });
      const silhouette = silhouetteScore(points, result.assignments, { sampleSize: silhouetteSample, seed });
      candidates.push({ k, silhouette, inertia: result.inertia });
      if (silhouette > bestSilhouette) [bestSilhouette, chosen] = [silhouette, result];
    }
    if (!chosen) throw new MlInputError(`no k in [${low}, ${high}] fits ${rows.length} users`);
  }

  const rfm = rfmScores(rows);
  const overall = {
    recency: mean(rows.map((r) => r.recencyDays)),
    frequency: mean(rows.map((r) => r.frequency)),
    monetary: mean(rows.map((r) => r.monetary)),
  };
  const k = chosen.centroids.length;
  const members = Array.from({ length: k }, () => [] as number[]);
  chosen.assignments.forEach((segment, i) => members[segment].push(i));
  const usedNames = new Map<string, number>();
  const profiles: SegmentProfile[] = members.map((indices, segment) => {
    const pick = (f: (i: number) => number) => mean(indices.map(f));
    const stats = {
      recency: pick((i) => rows[i].recencyDays),
      frequency: pick((i) => rows[i].frequency),
      monetary: pick((i) => rows[i].monetary),
    };
    const affinity = new Map<string, number>();
    for (const i of indices) for (const [c, v] of Object.entries(rows[i].categories ?? {})) affinity.set(c, (affinity.get(c) ?? 0) + v);
    const affinityTotal = [...affinity.values()].reduce((s, v) => s + v, 0);
    const top = [...affinity.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, topCategories)
      .map(([category, v]) => ({ category, share: affinityTotal > 0 ? v / affinityTotal : 0 }));
    let name = nameSegment(stats, overall);
    const seen = (usedNames.get(name) ?? 0) + 1;
    usedNames.set(name, seen);
    if (seen > 1) name = `${name} (${seen})`;
    const share = indices.length / rows.length;
    const categoriesText = top.length ? `; top categories ${top.map((t) => `${t.category} ${(t.share * 100).toFixed(0)}%`).join(', ')}` : '';
    return {
      segment,
      name,
      description:
        `${indices.length} users (${(share * 100).toFixed(1)}%): last purchase ${stats.recency.toFixed(0)} days ago on average ` +
        `(all users ${overall.recency.toFixed(0)}), ${stats.frequency.toFixed(2)} purchases (${overall.frequency.toFixed(2)}), ` +
        `spend ${stats.monetary.toFixed(2)} (${overall.monetary.toFixed(2)})${categoriesText}`,
      size: indices.length,
      share,
      meanRecencyDays: stats.recency,
      meanFrequency: stats.frequency,
      meanMonetary: stats.monetary,
      meanRfm: {
        recency: pick((i) => rfm[i].recency),
        frequency: pick((i) => rfm[i].frequency),
        monetary: pick((i) => rfm[i].monetary),
      },
      topCategories: top,
    };
  });
  return {
    k,
    selection: { rule: options.k !== undefined ? 'configured' : 'silhouette', candidates },
    featureNames: features.names,
    standardizer,
    centroids: chosen.centroids,
    assignments: rows.map((r, i) => ({ userId: r.userId, segment: chosen.assignments[i], rfm: rfm[i] })),
    profiles,
  };
}

/** The segment of a new user: nearest centroid in the segmentation's standardised space. */
export function assignSegment(segmentation: Pick<Segmentation, 'standardizer' | 'centroids'>, row: SegmentUserRow): number {
  validateUserRows([row]);
  const [point] = standardize(segmentation.standardizer, segmentFeatures([row]).values);
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  segmentation.centroids.forEach((centroid, c) => {
    const d = centroid.reduce((s, v, j) => s + (v - point[j]) ** 2, 0);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  });
  return best;
}
