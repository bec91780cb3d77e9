/**
 * EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): the closed-form
 * item x item weights B = I - P diagMat(1 / diag(P)), P = (XᵀX + λI)⁻¹, with
 * diag(B) = 0. The best model we measured on MovieLens-100K, but it needs a
 * dense n x n inverse: O(n²) memory and O(n³) time, so it is used only below
 * a catalogue size (see train.ts) and ELSA above it.
 */
import { MlInputError } from '../errors';
import { ImplicitMatrix } from './interactions';
import { DenseItemMatrixRecommender, RecommenderArtifact } from './model';

export interface EaseOptions {
  /** L2 regularisation λ added to the Gram matrix's diagonal (default 400; ~300-500 is best on MovieLens-100K). */
  lambda?: number;
  /** Refuse above this many items (the n x n Float64 work matrix is 8 n² bytes). Default 8,000. */
  maxItems?: number;
}

export const EASE_DEFAULTS = { lambda: 400, maxItems: 8_000 } as const;

/** In-place Gauss-Jordan inverse of a symmetric positive definite n x n matrix (row-major); no pivoting needed. */
export function invertSpdInPlace(a: Float64Array, n: number): void {
  for (let k = 0; k < n; k += 1) {
    const rowK = k * n;
    const pivot = a[rowK + k];
    if (!(pivot > 0)) throw new MlInputError(`matrix is not positive definite (pivot ${pivot} at ${k})`);
    const inv = 1 / pivot;
    a[rowK + k] = 1;
    for (let j = 0; j < n; j += 1) a[rowK + j] *= inv;
    for (let i = 0; i < n; i += 1) {
      if (i === k) continue;
      const rowI = i * n;
      const f = a[rowI + k];
      if (f === 0) continue;
      a[rowI + k] = 0;
      for (let j = 0; j < n; j += 1) a[rowI + j] -= f * a[rowK + j];
    }
  }
}

export class EaseRecommender extends DenseItemMatrixRecommender {
  readonly family = 'ease' as const;

  constructor(
    itemIds: readonly string[],
    /** Row-major n x n; B[i][j] is how much having item i raises item j. */
    readonly weights: Float32Array,
    hyperparameters: Record<string, number | string | boolean>,
    training: Record<string, unknown> = {},
  ) {
    super(itemIds, weights, 'B', hyperparameters, training);
  }

  static fromArtifact(artifact: RecommenderArtifact): EaseRecommender {
    const { itemIds, hyperparameters, training } = artifact.metadata;
    return new EaseRecommender(itemIds, DenseItemMatrixRecommender.matrixOf(artifact, 'B'), hyperparameters, training);
  }
}

/** Fits EASE on a binary user x item matrix. */
export function fitEase(matrix: ImplicitMatrix, options: EaseOptions = {}): EaseRecommender {
  const lambda = options.lambda ?? EASE_DEFAULTS.lambda;
  const maxItems = options.maxItems ?? EASE_DEFAULTS.maxItems;
  const n = matrix.itemIds.length;
  if (!(lambda > 0)) throw new MlInputError(`EASE lambda must be > 0, got ${lambda}`);
  if (n > maxItems) {
    throw new MlInputError(`EASE needs an n x n inverse; ${n} items is above maxItems ${maxItems} (use ELSA)`);
  }
  // Gram matrix G = XᵀX + λI, accumulated from each user's item set.
  const g = new Float64Array(n * n);
  for (let u = 0; u + 1 < matrix.indptr.length; u += 1) {
    const start = matrix.indptr[u];
    const end = matrix.indptr[u + 1];
    for (let a = start; a < end; a += 1) {
      const row = matrix.indices[a] * n;
      for (let b = start; b < end; b += 1) g[row + matrix.indices[b]] += 1;
    }
  }
  for (let i = 0; i < n; i += 1) g[i * n + i] += lambda;
  invertSpdInPlace(g, n); // g is now P
  const weights = new Float32Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      // B[i][j] = -P[i][j] / P[j][j], zero diagonal
      weights[i * n + j] = i === j ? 0 : -g[i * n + j] / g[j * n + j];
    }
  }
  return new EaseRecommender(matrix.itemIds, weights, { lambda });
}
