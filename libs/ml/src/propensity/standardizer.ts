/**
 * Per-column standardisation, (x - mean) / std, fitted on training rows only
 * and stored with a model so serving applies exactly the training transform.
 */
import { MlInputError } from '../errors';

/** JSON-serialisable state of a fitted standardiser. */
export interface StandardizerState {
  featureNames: string[];
  means: number[];
  stds: number[];
}

export function validateMatrix(rows: readonly (readonly number[])[], width: number, name = 'rows'): void {
  if (rows.length === 0) throw new MlInputError(`${name} is empty`);
  rows.forEach((row, i) => {
    if (row.length !== width) throw new MlInputError(`${name}[${i}] has ${row.length} columns, expected ${width}`);
    for (let j = 0; j < width; j += 1) {
      if (!Number.isFinite(row[j])) throw new MlInputError(`${name}[${i}][${j}] must be a finite number, got ${row[j]}`);
    }
  });
}

/**
 * Fits means and population standard deviations. A constant column gets std 1
 * (it then maps to 0) rather than a division by zero.
 */
export function fitStandardizer(rows: readonly (readonly number[])[], featureNames: readonly string[]): StandardizerState {
  validateMatrix(rows, featureNames.length);
  const width = featureNames.length;
  const means = new Array<number>(width).fill(0);
  const stds = new Array<number>(width).fill(0);
  for (const row of rows) for (let j = 0; j < width; j += 1) means[j] += row[j] / rows.length;
  for (const row of rows) for (let j = 0; j < width; j += 1) stds[j] += (row[j] - means[j]) ** 2 / rows.length;
  return {
    featureNames: [...featureNames],
    means,
    stds: stds.map((variance) => (variance > 1e-24 ? Math.sqrt(variance) : 1)),
  };
}

export function standardize(state: StandardizerState, rows: readonly (readonly number[])[]): number[][] {
  validateMatrix(rows, state.featureNames.length);
  return rows.map((row) => row.map((value, j) => (value - state.means[j]) / state.stds[j]));
}
