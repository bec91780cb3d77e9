/**
 * Train/test splits of user-item interactions for offline evaluation.
 */
import { MlInputError } from './errors';
import { fnv1a32, mulberry32, requireSeed, shuffleInPlace } from './random';

export interface TrainTestSplit<T> {
  train: T[];
  test: T[];
}

/**
 * Microsoft Recommenders' `python_stratified_split` protocol, by user: each
 * user's interactions are put in a random order, the one at position i of n
 * (1-based) goes to train when i / n <= 1 - testFraction, and the rest to
 * test. So a user with n interactions gets n - floor((1 - testFraction) n) of
 * them in test (with testFraction 0.25: 1 of 4, 2 of 6, 3 of 10), and a user
 * with a single interaction lands wholly in test, as in Recommenders.
 *
 * Reproducible: the order of each user's interactions comes from mulberry32
 * seeded with FNV-1a of `${seed}:${userId}`, so a user's split depends only on
 * the seed and that user's interactions (in input order), not on other users.
 * The random numbers differ from numpy's, so the exact rows differ from a
 * Python run with the same seed; the per-user counts are the same.
 * Both outputs keep the input order.
 */
export function stratifiedSplitByUser<T extends { readonly userId: string }>(
  interactions: readonly T[],
  testFraction: number,
  seed: number,
): TrainTestSplit<T> {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new MlInputError(`testFraction must be in (0, 1), got ${testFraction}`);
  }
  requireSeed(seed);
  const trainRatio = 1 - testFraction;

  const indicesByUser = new Map<string, number[]>();
  interactions.forEach((interaction, index) => {
    const indices = indicesByUser.get(interaction.userId);
    if (indices) indices.push(index);
    else indicesByUser.set(interaction.userId, [index]);
  });

  const inTest = new Uint8Array(interactions.length);
  for (const [userId, indices] of indicesByUser) {
    shuffleInPlace(indices, mulberry32(fnv1a32(`${seed}:${userId}`)));
    const n = indices.length;
    indices.forEach((index, position) => {
      if ((position + 1) / n > trainRatio) inTest[index] = 1;
    });
  }

  const split: TrainTestSplit<T> = { train: [], test: [] };
  interactions.forEach((interaction, index) => {
    (inTest[index] ? split.test : split.train).push(interaction);
  });
  return split;
}

/**
 * Global temporal split: interactions strictly before `cutoff` train, the rest
 * (timestamp >= cutoff) test. `cutoff` is in the interactions' own unit
 * (MovieLens: Unix seconds). Both outputs keep the input order.
 */
export function temporalSplit<T extends { readonly timestamp: number }>(
  interactions: readonly T[],
  cutoff: number,
): TrainTestSplit<T> {
  if (!Number.isFinite(cutoff)) throw new MlInputError(`cutoff must be a finite number, got ${cutoff}`);
  const split: TrainTestSplit<T> = { train: [], test: [] };
  interactions.forEach((interaction, index) => {
    if (!Number.isFinite(interaction.timestamp)) {
      throw new MlInputError(`interactions[${index}].timestamp must be a finite number, got ${interaction.timestamp}`);
    }
    (interaction.timestamp < cutoff ? split.train : split.test).push(interaction);
  });
  return split;
}
