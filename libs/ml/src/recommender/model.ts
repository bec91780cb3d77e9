/**
 * What every recommender here is: a linear item-to-item scorer. A user is
 * their history (a set of items); an item's score is a sum over the history
 * of item-to-item weights. EASE stores those weights as a dense item x item
 * matrix; ELSA factorises them as A Aᵀ (item embeddings A), which is what
 * keeps it small at 100,000 items. Both give `recommend(history)` for any
 * user, including one the model never saw, without a user table.
 */
import { MlInputError, requirePositiveInteger } from '../errors';
import { ScoredItem, topKIndices } from './topk';

export type { ScoredItem } from './topk';

export type RecommenderFamily = 'ease' | 'elsa' | 'toppop' | 'itemknn';

/** Versioned artifact metadata; the weights travel as one little-endian Float32 binary next to it. */
export interface RecommenderMetadata {
  format: 'storeloop.recommender';
  formatVersion: 1;
  family: RecommenderFamily;
  itemIds: string[];
  /** Tensors in the binary, in order, back to back. */
  weights: { name: string; shape: number[]; dtype: 'float32' }[];
  hyperparameters: Record<string, number | string | boolean>;
  /** Free-form facts about the run (backend, seconds, samples/s, data); stored, not interpreted. */
  training: Record<string, unknown>;
}

export interface RecommenderArtifact {
  metadata: RecommenderMetadata;
  weights: Float32Array;
}

export interface RecommendOptions {
  /** Items never to return (e.g. out of stock), in addition to the history. */
  exclude?: Iterable<string>;
  /** Drop the history's own items from the result (default true: "items seen in training removed"). */
  excludeHistory?: boolean;
}

export abstract class ItemToItemRecommender {
  abstract readonly family: RecommenderFamily;
  readonly itemIndex: ReadonlyMap<string, number>;

  protected constructor(
    readonly itemIds: readonly string[],
    readonly hyperparameters: Record<string, number | string | boolean>,
    readonly training: Record<string, unknown>,
  ) {
    this.itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  }

  /** Scores of every item for a history given as item indices (a fresh array). */
  abstract scoreIndices(history: readonly number[]): Float32Array;

  /** Item embeddings (row i is item i), when the family has them; EASE has none. */
  abstract itemEmbeddings(): { dim: number; vectors: Float32Array } | undefined;

  protected abstract weightTensors(): { name: string; shape: number[]; values: Float32Array }[];

  /** Indices of the history's known items; unknown ones (new items) are ignored. */
  historyIndices(history: Iterable<string>): number[] {
    const indices = new Set<number>();
    for (const id of history) {
      const i = this.itemIndex.get(id);
      if (i !== undefined) indices.add(i);
    }
    return [...indices];
  }

  /** The k best items for a user with this history, best first. */
  recommend(userHistory: Iterable<string>, k: number, options: RecommendOptions = {}): ScoredItem[] {
    requirePositiveInteger(k, 'k');
    const history = this.historyIndices(userHistory);
    const scores = this.scoreIndices(history);
    if (options.excludeHistory ?? true) for (const i of history) scores[i] = Number.NEGATIVE_INFINITY;
    for (const id of options.exclude ?? []) {
      const i = this.itemIndex.get(id);
      if (i !== undefined) scores[i] = Number.NEGATIVE_INFINITY;
    }
    return topKIndices(scores, k).map((i) => ({ itemId: this.itemIds[i], score: scores[i] }));
  }

  /** The k items most similar to `itemId` under the model's item-to-item weights (never itself). */
  similarItems(itemId: string, k: number): ScoredItem[] {
    const i = this.itemIndex.get(itemId);
    if (i === undefined) throw new MlInputError(`unknown item '${itemId}'`);
    return this.recommend([itemId], k);
  }

  /** Metadata plus one Float32 binary; `loadRecommender` reads it back. */
  toArtifact(): RecommenderArtifact {
    const tensors = this.weightTensors();
    const total = tensors.reduce((n, t) => n + t.values.length, 0);
    const weights = new Float32Array(total);
    let offset = 0;
    for (const t of tensors) {
      weights.set(t.values, offset);
      offset += t.values.length;
    }
    return {
      metadata: {
        format: 'storeloop.recommender',
        formatVersion: 1,
        family: this.family,
        itemIds: [...this.itemIds],
        weights: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })),
        hyperparameters: { ...this.hyperparameters },
        training: { ...this.training },
      },
      weights,
    };
  }
}

/**
 * A model whose whole state is one dense n x n item-to-item matrix M (EASE's
 * B, item-kNN's similarities): a user's score for item j is the sum of
 * M[h][j] over the history h. Dense, so for catalogues of a few thousand
 * items (see train.ts).
 */
export abstract class DenseItemMatrixRecommender extends ItemToItemRecommender {
  protected constructor(
    itemIds: readonly string[],
    /** Row-major n x n. */
    protected readonly matrix: Float32Array,
    /** Name of the matrix in the artifact ('B' for EASE, 'S' for item-kNN). */
    private readonly tensorName: string,
    hyperparameters: Record<string, number | string | boolean>,
    training: Record<string, unknown>,
  ) {
    super(itemIds, hyperparameters, training);
    if (matrix.length !== itemIds.length * itemIds.length) {
      throw new MlInputError(`${tensorName} must be n x n for n = ${itemIds.length} items, got ${matrix.length} values`);
    }
  }

  scoreIndices(history: readonly number[]): Float32Array {
    const n = this.itemIds.length;
    const scores = new Float32Array(n);
    for (const i of history) {
      const row = this.matrix.subarray(i * n, (i + 1) * n);
      for (let j = 0; j < n; j += 1) scores[j] += row[j];
    }
    return scores;
  }

  itemEmbeddings(): undefined {
    return undefined;
  }

  protected weightTensors() {
    const n = this.itemIds.length;
    return [{ name: this.tensorName, shape: [n, n], values: this.matrix }];
  }

  /** The matrix stored under `name` in an artifact, copied. */
  protected static matrixOf(artifact: RecommenderArtifact, name: string): Float32Array {
    const tensor = artifactTensors(artifact).get(name);
    if (!tensor) throw new MlInputError(`${artifact.metadata.family} artifact has no tensor '${name}'`);
    return tensor.values.slice();
  }
}

/** Splits an artifact's binary into its named tensors, checking sizes against the metadata. */
export function artifactTensors(artifact: RecommenderArtifact): Map<string, { shape: number[]; values: Float32Array }> {
  const { metadata, weights } = artifact;
  if (metadata.format !== 'storeloop.recommender') throw new MlInputError(`not a recommender artifact: format '${metadata.format}'`);
  if (metadata.formatVersion !== 1) throw new MlInputError(`unsupported recommender artifact formatVersion ${metadata.formatVersion} (this build reads 1)`);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const w of metadata.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (offset + size > weights.length) throw new MlInputError(`artifact binary too short for '${w.name}' [${w.shape}]`);
    out.set(w.name, { shape: w.shape, values: weights.subarray(offset, offset + size) });
    offset += size;
  }
  if (offset !== weights.length) throw new MlInputError(`artifact binary has ${weights.length - offset} floats beyond its metadata`);
  return out;
}
