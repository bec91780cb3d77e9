/**
 * RFM scores: each of recency, frequency and monetary value mapped to a
 * quintile score 1..5, 5 best (most recent, most frequent, highest spend).
 */
import { type SegmentUserRow, validateUserRows } from './user-row';

export interface RfmScore {
  userId: string;
  recency: number;
  frequency: number;
  monetary: number;
  /** 'RFM' digits, e.g. '545'. */
  code: string;
}

/** Type-7 (linear interpolation) quantile of sorted values, as numpy's default. */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
}

/** The four cut points (20th..80th percentiles) of a column. */
export function quintileCuts(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return [0.2, 0.4, 0.6, 0.8].map((q) => quantile(sorted, q));
}

/** 1 + number of cut points strictly below `value`: equal values always share a score. */
function scoreAgainst(cuts: readonly number[], value: number): number {
  return 1 + cuts.filter((cut) => value > cut).length;
}

/**
 * Quintile scores by cut points at the 20/40/60/80th percentiles. Ties stay
 * together, so a column dominated by one value (most retail customers buy
 * once) uses fewer than five scores rather than splitting identical users
 * arbitrarily. Recency is reversed: fewer days since the last purchase
 * scores higher.
 */
export function rfmScores(rows: readonly SegmentUserRow[]): RfmScore[] {
  validateUserRows(rows);
  const cuts = {
    recency: quintileCuts(rows.map((r) => r.recencyDays)),
    frequency: quintileCuts(rows.map((r) => r.frequency)),
    monetary: quintileCuts(rows.map((r) => r.monetary)),
  };
  return rows.map((row) => {
    const recency = 6 - scoreAgainst(cuts.recency, row.recencyDays);
    const frequency = scoreAgainst(cuts.frequency, row.frequency);
    const monetary = scoreAgainst(cuts.monetary, row.monetary);
    return { userId: row.userId, recency, frequency, monetary, code: `${recency}${frequency}${monetary}` };
  });
}
