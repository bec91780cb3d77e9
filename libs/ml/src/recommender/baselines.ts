/**
 * Baselines the evaluation reports beside our model, on the same split:
 * TopPop (most interacted items, the same for everyone) and item-kNN
 * (cosine similarity between items' user sets, each item keeping its k
 * nearest neighbours, a user's score for j = Σ over history of sim(h, j)).
 * Dense n x n, so for evaluation-sized catalogues only.
 */
import { MlInputError } from '../errors';
import { ImplicitMatrix, itemCounts } from './interactions';
import { artifactTensors, DenseItemMatrixRecommender, ItemToItemRecommender, RecommenderArtifact } from './model';

export class TopPopRecommender extends ItemToItemRecommender {
  readonly family = 'toppop' as const;

  constructor(itemIds: readonly string[], readonly popularity: Float32Array, training: Record<string, unknown> = {}) {
    super(itemIds, {}, training);
  }

  scoreIndices(): Float32Array {
    return this.popularity.slice();
  }

  itemEmbeddings(): undefined {
    return undefined;
  }

  protected weightTensors() {
    return [{ name: 'popularity', shape: [this.itemIds.length], values: this.popularity }];
  }

  static fromArtifact(artifact: RecommenderArtifact): TopPopRecommender {
    const p = artifactTensors(artifact).get('popularity');
    if (!p) throw new MlInputError(`TopPop artifact has no tensor 'popularity'`);
    return new TopPopRecommender(artifact.metadata.itemIds, p.values.slice(), artifact.metadata.training);
  }
}

export function fitTopPop(matrix: ImplicitMatrix): TopPopRecommender {
  return new TopPopRecommender(matrix.itemIds, Float32Array.from(itemCounts(matrix)));
}

export interface ItemKnnOptions {
  /** Neighbours kept per item (default 100). */
  neighbours?: number;
  /** Refuse above this many items (dense n x n). Default 8,000. */
  maxItems?: number;
}

export class ItemKnnRecommender extends DenseItemMatrixRecommender {
  readonly family = 'itemknn' as const;

  constructor(
    itemIds: readonly string[],
    /** Row-major n x n similarities, zero outside each row's k nearest. */
    readonly similarity: Float32Array,
    hyperparameters: Record<string, number | string | boolean>,
    training: Record<string, unknown> = {},
  ) {
    super(itemIds, similarity, 'S', hyperparameters, training);
  }

  static fromArtifact(artifact: RecommenderArtifact): ItemKnnRecommender {
    const { itemIds, hyperparameters, training } = artifact.metadata;
    return new ItemKnnRecommender(itemIds, DenseItemMatrixRecommender.matrixOf(artifact, 'S'), hyperparameters, training);
  }
}

export function fitItemKnn(matrix: ImplicitMatrix, options: ItemKnnOptions = {}): ItemKnnRecommender {
  const neighbours = options.neighbours ?? 100;
  const n = matrix.itemIds.length;
  if (n > (options.maxItems ?? 8_000)) throw new MlInputError(`item-kNN is dense n x n; ${n} items is too many`);
  const co = new Float32Array(n * n);
  for (let u = 0; u + 1 < matrix.indptr.length; u += 1) {
    for (let a = matrix.indptr[u]; a < matrix.indptr[u + 1]; a += 1) {
      const row = matrix.indices[a] * n;
      for (let b = matrix.indptr[u]; b < matrix.indptr[u + 1]; b += 1) co[row + matrix.indices[b]] += 1;
    }
  }
  const counts = itemCounts(matrix);
  const similarity = new Float32Array(n * n);
  const row = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) row[j] = i === j || counts[i] === 0 || counts[j] === 0 ? 0 : co[i * n + j] / Math.sqrt(counts[i] * counts[j]);
    // keep the k largest: threshold at the k-th largest value
    const sorted = Float32Array.from(row).sort().reverse();
    const threshold = sorted[Math.min(neighbours, n) - 1] ?? 0;
    let kept = 0;
    for (let j = 0; j < n; j += 1) {
      if (row[j] > 0 && row[j] >= threshold && kept < neighbours) {
        similarity[i * n + j] = row[j];
        kept += 1;
      }
    }
  }
  return new ItemKnnRecommender(matrix.itemIds, similarity, { neighbours });
}
