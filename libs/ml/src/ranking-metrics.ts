/**
 * Top-k ranking metrics with binary relevance, following the conventions of
 * Microsoft Recommenders' `recommenders.evaluation.python_evaluation`:
 *
 * - precision@k divides the hits in the top k by k, even when fewer than k
 *   items were recommended (Spark's `precisionAt` does the same);
 * - recall@k divides the hits by the number of relevant items;
 * - nDCG@k uses gain 1 per hit and the ideal DCG of min(k, |relevant|) hits.
 *   Recommenders defaults to a natural-log discount, we use log2; the ratio
 *   DCG / IDCG is the same for any log base, so the values agree;
 * - average precision sums precision@rank over the hit ranks and divides by
 *   min(k, |relevant|) (`map_at_k`, Spark's `meanAveragePrecisionAt`) or by
 *   |relevant| (`map`, the "MAP" column of Recommenders' published MovieLens
 *   benchmark table);
 * - users without relevant items are skipped when averaging.
 *
 * Differences from Recommenders, on purpose:
 * - a user with relevant items but an empty ranked list counts as a user with
 *   zero hits in every metric. Recommenders drops such a user from precision,
 *   recall and MAP (it is not in the prediction frame) but keeps it, with 0,
 *   in nDCG; we treat a recommender that returned nothing as a miss everywhere;
 * - a ranked list may not repeat an item within its top k (Recommenders would
 *   count a repeated hit twice); we throw instead.
 */
import { MlInputError, requirePositiveInteger } from './errors';

/** What one user was recommended, best first, and what they actually engaged with. */
export interface RankingCase {
  readonly ranked: readonly string[];
  readonly relevant: ReadonlySet<string>;
}

/** Divisor of average precision: see the module comment. */
export type AveragePrecisionDenominator = 'min-k-relevant' | 'relevant';

/** Per-user means over the users that have at least one relevant item. */
export interface RankingReport {
  /** Users averaged over (those with a non-empty relevant set). */
  users: number;
  hitRate: number;
  precision: number;
  recall: number;
  ndcg: number;
  /** MAP with average precision divided by |relevant| (Recommenders `map`, the published "MAP"). */
  map: number;
  /** MAP with average precision divided by min(k, |relevant|) (Recommenders `map_at_k`). */
  mapAtK: number;
}

/** The top k of `ranked`, after checking k and that no item repeats there. */
function topK(ranked: readonly string[], k: number): readonly string[] {
  requirePositiveInteger(k, 'k');
  const top = ranked.length > k ? ranked.slice(0, k) : ranked;
  const seen = new Set<string>();
  for (const item of top) {
    if (seen.has(item)) {
      throw new MlInputError(`ranked list repeats item '${item}' within its top ${k}`);
    }
    seen.add(item);
  }
  return top;
}

function requireRelevant(relevant: ReadonlySet<string>, metric: string): void {
  if (relevant.size === 0) {
    throw new MlInputError(
      `${metric} is undefined when the relevant set is empty; skip such users (evaluateRanking does)`,
    );
  }
}

function countHits(top: readonly string[], relevant: ReadonlySet<string>): number {
  let hits = 0;
  for (const item of top) if (relevant.has(item)) hits += 1;
  return hits;
}

/** 1 if any of the top k items is relevant, else 0. */
export function hitRateAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return countHits(topK(ranked, k), relevant) > 0 ? 1 : 0;
}

/** Relevant items among the top k, divided by k. */
export function precisionAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return countHits(topK(ranked, k), relevant) / k;
}

/** Relevant items among the top k, divided by |relevant|. Throws when relevant is empty. */
export function recallAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  const top = topK(ranked, k);
  requireRelevant(relevant, 'recall@k');
  return countHits(top, relevant) / relevant.size;
}

/** Discount of the item at 0-based position i: 1 / log2(rank + 1) with rank = i + 1. */
function discount(i: number): number {
  return 1 / Math.log2(i + 2);
}

/** Binary-relevance nDCG@k; the ideal ranking puts min(k, |relevant|) hits first. Throws when relevant is empty. */
export function ndcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  const top = topK(ranked, k);
  requireRelevant(relevant, 'nDCG@k');
  let dcg = 0;
  top.forEach((item, i) => {
    if (relevant.has(item)) dcg += discount(i);
  });
  let idcg = 0;
  const idealHits = Math.min(k, relevant.size);
  for (let i = 0; i < idealHits; i += 1) idcg += discount(i);
  return dcg / idcg;
}

/**
 * Average precision at k: the sum of precision@rank over the ranks (within the
 * top k) that hold a relevant item, divided by min(k, |relevant|) by default
 * (Recommenders `map_at_k`) or by |relevant|. Throws when relevant is empty.
 */
export function averagePrecisionAtK(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
  denominator: AveragePrecisionDenominator = 'min-k-relevant',
): number {
  const top = topK(ranked, k);
  requireRelevant(relevant, 'average precision');
  let hits = 0;
  let sum = 0;
  top.forEach((item, i) => {
    if (relevant.has(item)) {
      hits += 1;
      sum += hits / (i + 1);
    }
  });
  const divisor = denominator === 'relevant' ? relevant.size : Math.min(k, relevant.size);
  return sum / divisor;
}

/** Users that can be scored: those with at least one relevant item. */
function scorableUsers(perUser: ReadonlyMap<string, RankingCase>): RankingCase[] {
  const cases = [...perUser.values()].filter((c) => c.relevant.size > 0);
  if (cases.length === 0) {
    throw new MlInputError(`no user among ${perUser.size} has a relevant item; nothing to evaluate`);
  }
  return cases;
}

function mean(cases: readonly RankingCase[], metric: (c: RankingCase) => number): number {
  let sum = 0;
  for (const c of cases) sum += metric(c);
  return sum / cases.length;
}

/**
 * Mean of average precision at k over users with relevant items. Defaults to
 * the |relevant| divisor, which is Recommenders' `map` and the "MAP" of its
 * published benchmark table; pass 'min-k-relevant' for `map_at_k`.
 */
export function meanAveragePrecision(
  perUser: ReadonlyMap<string, RankingCase>,
  k: number,
  denominator: AveragePrecisionDenominator = 'relevant',
): number {
  requirePositiveInteger(k, 'k');
  return mean(scorableUsers(perUser), (c) => averagePrecisionAtK(c.ranked, c.relevant, k, denominator));
}

/**
 * Every ranking metric at k, averaged over the users that have relevant items
 * (others are skipped, as in Recommenders). Throws when no user has any.
 */
export function evaluateRanking(perUser: ReadonlyMap<string, RankingCase>, k: number): RankingReport {
  requirePositiveInteger(k, 'k');
  const cases = scorableUsers(perUser);
  return {
    users: cases.length,
    hitRate: mean(cases, (c) => hitRateAtK(c.ranked, c.relevant, k)),
    precision: mean(cases, (c) => precisionAtK(c.ranked, c.relevant, k)),
    recall: mean(cases, (c) => recallAtK(c.ranked, c.relevant, k)),
    ndcg: mean(cases, (c) => ndcgAtK(c.ranked, c.relevant, k)),
    map: mean(cases, (c) => averagePrecisionAtK(c.ranked, c.relevant, k, 'relevant')),
    mapAtK: mean(cases, (c) => averagePrecisionAtK(c.ranked, c.relevant, k, 'min-k-relevant')),
  };
}
