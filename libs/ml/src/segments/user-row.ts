/**
 * The generic per-user input of segmentation: RFM facts plus optional
 * category affinities (for profiles) and extra numeric features (for
 * clustering). Any source (the online feature view, CDNOW) maps to this.
 */
import { MlInputError } from '../errors';

export interface SegmentUserRow {
  userId: string;
  /** Days since the user's last purchase (lower is more recent). */
  recencyDays: number;
  /** Purchases (or purchase days) in the observation window. */
  frequency: number;
  /** Spend in the observation window (or per purchase: be consistent across users). */
  monetary: number;
  /** Affinity per category (counts, spend or shares); only used in profiles. */
  categories?: Record<string, number>;
  /** Further numeric features to cluster on (same keys for every user). */
  extra?: Record<string, number>;
}

export function validateUserRows(rows: readonly SegmentUserRow[]): void {
  if (rows.length === 0) throw new MlInputError('segmentation needs at least one user');
  const extraKeys = Object.keys(rows[0].extra ?? {}).sort().join(',');
  rows.forEach((row, i) => {
    for (const key of ['recencyDays', 'frequency', 'monetary'] as const) {
      if (!Number.isFinite(row[key]) || row[key] < 0) {
        throw new MlInputError(`users[${i}] (${row.userId}).${key} must be a finite number >= 0, got ${row[key]}`);
      }
    }
    const keys = Object.keys(row.extra ?? {}).sort().join(',');
    if (keys !== extraKeys) throw new MlInputError(`users[${i}] (${row.userId}) has extra keys [${keys}], expected [${extraKeys}]`);
    for (const [key, value] of Object.entries({ ...row.extra, ...row.categories })) {
      if (!Number.isFinite(value)) throw new MlInputError(`users[${i}] (${row.userId}).${key} must be finite, got ${value}`);
    }
  });
}
