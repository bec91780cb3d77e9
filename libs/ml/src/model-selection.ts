/**
 * Model selection: seeded k-fold cross-validation and a small grid or random
 * hyperparameter search on top of it. Everything is index based, so the same
 * folds serve any model (TF.js, logistic regression, BG/NBD) and any data shape.
 */
import { MlInputError, requirePositiveInteger } from './errors';
import { mulberry32, requireSeed, shuffleInPlace } from './random';

/** One fold: row indices to train on and to score on (disjoint, together all rows). */
export interface Fold {
  train: number[];
  test: number[];
}

export interface KFoldOptions {
  /** Number of folds, at least 2. */
  k: number;
  seed: number;
  /**
   * Class labels (or any group key) for a stratified split: each fold then
   * holds (to within one row) the same share of every label as the whole
   * data, which keeps AUC defined and fold scores comparable on rare
   * positives. Omit for a plain shuffled split.
   */
  stratifyBy?: readonly (number | string)[];
}

/**
 * k-fold split of `n` rows. Rows are shuffled with mulberry32(seed) and dealt
 * round-robin into folds (per label when stratified, continuing the deal
 * across labels so fold sizes differ by at most one). Test sets partition
 * 0..n-1; each fold's train set is the complement, in ascending order.
 */
export function kFold(n: number, options: KFoldOptions): Fold[] {
  requirePositiveInteger(n, 'n');
  const { k, seed, stratifyBy } = options;
  if (!Number.isSafeInteger(k) || k < 2) throw new MlInputError(`k must be an integer >= 2, got ${k}`);
  if (k > n) throw new MlInputError(`k (${k}) must not exceed the number of rows (${n})`);
  requireSeed(seed);
  if (stratifyBy && stratifyBy.length !== n) {
    throw new MlInputError(`stratifyBy must have one entry per row (${n}), got ${stratifyBy.length}`);
  }
  const random = mulberry32(seed);
  const groups = new Map<number | string, number[]>();
  for (let i = 0; i < n; i += 1) {
    const key = stratifyBy ? stratifyBy[i] : 0;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  const foldOf = new Int32Array(n);
  let dealt = 0;
  // Sorted keys: the split must not depend on which label happens to come first.
  for (const key of [...groups.keys()].sort((a, b) => String(a).localeCompare(String(b)))) {
    for (const index of shuffleInPlace(groups.get(key) as number[], random)) {
      foldOf[index] = dealt % k;
      dealt += 1;
    }
  }
  return Array.from({ length: k }, (_, fold) => {
    const result: Fold = { train: [], test: [] };
    for (let i = 0; i < n; i += 1) (foldOf[i] === fold ? result.test : result.train).push(i);
    return result;
  });
}

export interface CrossValidationResult {
  foldScores: number[];
  mean: number;
  /** Sample standard deviation of the fold scores. */
  std: number;
}

function summarise(foldScores: number[]): CrossValidationResult {
  const mean = foldScores.reduce((sum, s) => sum + s, 0) / foldScores.length;
  const variance =
    foldScores.length < 2 ? 0 : foldScores.reduce((sum, s) => sum + (s - mean) ** 2, 0) / (foldScores.length - 1);
  return { foldScores, mean, std: Math.sqrt(variance) };
}

/**
 * Runs `evaluate` on every fold (sequentially: TF.js training is not
 * re-entrant-friendly and the machine has few cores) and summarises the scores.
 */
export async function crossValidate(
  folds: readonly Fold[],
  evaluate: (fold: Fold, foldIndex: number) => number | Promise<number>,
): Promise<CrossValidationResult> {
  if (folds.length === 0) throw new MlInputError('crossValidate needs at least one fold');
  const scores: number[] = [];
  for (let i = 0; i < folds.length; i += 1) {
    const score = await evaluate(folds[i], i);
    if (!Number.isFinite(score)) throw new MlInputError(`fold ${i} scored ${score}; scores must be finite`);
    scores.push(score);
  }
  return summarise(scores);
}

/** Candidate values per hyperparameter. */
export type ParameterGrid<P> = { [K in keyof P]: readonly P[K][] };

/** Every combination of the grid's values, in a stable order (first key varies slowest). */
export function expandGrid<P extends object>(grid: ParameterGrid<P>): P[] {
  const keys = Object.keys(grid) as (keyof P)[];
  let configs: Partial<P>[] = [{}];
  for (const key of keys) {
    const values = grid[key];
    if (values.length === 0) throw new MlInputError(`grid value list for "${String(key)}" is empty`);
    configs = configs.flatMap((config) => values.map((value) => ({ ...config, [key]: value })));
  }
  return configs as P[];
}

export interface SearchOptions<P> {
  grid: ParameterGrid<P>;
  folds: readonly Fold[];
  /** Scores one configuration on one fold. */
  evaluate: (config: P, fold: Fold, foldIndex: number) => number | Promise<number>;
  /** Whether a higher score is better (AUC) or lower (log loss). */
  direction: 'maximize' | 'minimize';
  /**
   * Random search: score this many configurations drawn without replacement
   * from the grid (Bergstra & Bengio 2012: with few important parameters a
   * random subset finds a good region at a fraction of the cost). Omit to
   * score the whole grid.
   */
  samples?: number;
  /** Seed for the random subset; required with `samples`. */
  seed?: number;
}

export interface SearchTrial<P> extends CrossValidationResult {
  config: P;
}

export interface SearchResult<P> {
  best: SearchTrial<P>;
  /** Every configuration scored, in evaluation order. */
  trials: SearchTrial<P>[];
}

/**
 * Grid or random hyperparameter search by cross-validation: every candidate
 * is scored on the same folds, and the best mean fold score wins (ties go to
 * the earlier candidate, so a grid listed simplest-first prefers simple).
 */
export async function searchHyperparameters<P extends object>(options: SearchOptions<P>): Promise<SearchResult<P>> {
  const { grid, folds, evaluate, direction, samples, seed } = options;
  if (direction !== 'maximize' && direction !== 'minimize') {
    throw new MlInputError(`direction must be 'maximize' or 'minimize', got ${String(direction)}`);
  }
  let candidates = expandGrid(grid);
  if (samples !== undefined) {
    requirePositiveInteger(samples, 'samples');
    if (seed === undefined) throw new MlInputError('random search needs a seed');
    requireSeed(seed);
    if (samples < candidates.length) {
      candidates = shuffleInPlace([...candidates], mulberry32(seed)).slice(0, samples);
    }
  }
  const trials: SearchTrial<P>[] = [];
  for (const config of candidates) {
    const result = await crossValidate(folds, (fold, index) => evaluate(config, fold, index));
    trials.push({ config, ...result });
  }
  const better = (a: number, b: number) => (direction === 'maximize' ? a > b : a < b);
  const best = trials.reduce((champion, trial) => (better(trial.mean, champion.mean) ? trial : champion));
  return { best, trials };
}
