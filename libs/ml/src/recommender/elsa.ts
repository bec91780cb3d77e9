/**
 * ELSA (Vančura, Alves, Kasalický, Kordík 2022, "Scalable Linear Shallow
 * Autoencoder for Collaborative Filtering"): EASE's linear item-to-item
 * model with its weights factorised as B = Â Âᵀ - I, where Â is the
 * row-normalised item embedding matrix A (n x r). Memory is O(n r) instead
 * of O(n²), so it trains at 100,000 items where EASE's n x n inverse cannot.
 *
 * Training (TF.js, any backend): for a batch of users with binary rows X,
 * predictions X Â Âᵀ - X, loss = Σ_u || x̂_u / ||x̂_u|| - x_u / ||x_u|| ||²
 * (the paper's normalised MSE), Adam. X Â is computed sparsely as an
 * embedding bag (gather + segment sum), so its gradient runs through the
 * scatter-add UnsortedSegmentSum kernel of ../tf; only the output side
 * (batch x n) is dense.
 */
import * as tf from '@tensorflow/tfjs';
import { MlInputError, requirePositiveInteger } from '../errors';
import { mulberry32, shuffleInPlace } from '../random';
import { ImplicitMatrix } from './interactions';
import { artifactTensors, ItemToItemRecommender, RecommenderArtifact } from './model';

export interface ElsaOptions {
  /** Embedding size r (default 256). */
  factors?: number;
  /** Passes over the users (default 10; on MovieLens-100K nDCG@10 peaks at 10 and falls after). */
  epochs?: number;
  /** Users per step (default 64: more, smaller steps converged far faster than 256 on MovieLens-100K). */
  batchSize?: number;
  /** Adam learning rate (default 0.05). */
  learningRate?: number;
  /** Seeds the initial embeddings and the user order (default 42). */
  seed?: number;
  /** Called after each epoch: progress bars, training logs, early stopping (return false to stop). */
  onEpoch?: (progress: ElsaEpoch) => boolean | void;
}

export interface ElsaEpoch {
  epoch: number;
  epochs: number;
  /** Mean loss per user over the epoch. */
  loss: number;
  seconds: number;
  /** Interactions (non-zeros of X) processed per second in this epoch. */
  samplesPerSec: number;
  /** The model as of this epoch (copies the weights; for validation metrics and early stopping). */
  snapshot: () => ElsaRecommender;
}

export const ELSA_DEFAULTS = { factors: 256, epochs: 10, batchSize: 64, learningRate: 0.05, seed: 42 } as const;

export class ElsaRecommender extends ItemToItemRecommender {
  readonly family = 'elsa' as const;

  constructor(
    itemIds: readonly string[],
    /** Row-normalised embeddings Â, row-major n x r. */
    readonly embeddings: Float32Array,
    readonly factors: number,
    hyperparameters: Record<string, number | string | boolean>,
    training: Record<string, unknown> = {},
  ) {
    super(itemIds, hyperparameters, training);
    if (embeddings.length !== itemIds.length * factors) throw new MlInputError(`ELSA embeddings must be n x r = ${itemIds.length} x ${factors}`);
  }

  scoreIndices(history: readonly number[]): Float32Array {
    const n = this.itemIds.length;
    const r = this.factors;
    const e = this.embeddings;
    const user = new Float32Array(r);
    for (const i of history) for (let f = 0; f < r; f += 1) user[f] += e[i * r + f];
    const scores = new Float32Array(n);
    for (let j = 0; j < n; j += 1) {
      let s = 0;
      const row = j * r;
      for (let f = 0; f < r; f += 1) s += e[row + f] * user[f];
      scores[j] = s;
    }
    for (const i of history) scores[i] -= 1; // the "- I" of B = ÂÂᵀ - I
    return scores;
  }

  itemEmbeddings() {
    return { dim: this.factors, vectors: this.embeddings };
  }

  protected weightTensors() {
    return [{ name: 'A', shape: [this.itemIds.length, this.factors], values: this.embeddings }];
  }

  static fromArtifact(artifact: RecommenderArtifact): ElsaRecommender {
    const a = artifactTensors(artifact).get('A');
    if (!a || a.shape.length !== 2) throw new MlInputError(`ELSA artifact has no 2-d tensor 'A'`);
    return new ElsaRecommender(artifact.metadata.itemIds, a.values.slice(), a.shape[1], artifact.metadata.hyperparameters, artifact.metadata.training);
  }
}

function l2NormaliseRows(x: tf.Tensor): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D;
}

/** Trains ELSA on the backend that is active (call initTfBackend first). */
export function fitElsa(matrix: ImplicitMatrix, options: ElsaOptions = {}): ElsaRecommender {
  const factors = options.factors ?? ELSA_DEFAULTS.factors;
  const epochs = options.epochs ?? ELSA_DEFAULTS.epochs;
  const batchSize = options.batchSize ?? ELSA_DEFAULTS.batchSize;
  const learningRate = options.learningRate ?? ELSA_DEFAULTS.learningRate;
  const seed = options.seed ?? ELSA_DEFAULTS.seed;
  requirePositiveInteger(factors, 'factors');
  requirePositiveInteger(epochs, 'epochs');
  requirePositiveInteger(batchSize, 'batchSize');
  if (!(learningRate > 0)) throw new MlInputError(`learningRate must be > 0, got ${learningRate}`);
  const n = matrix.itemIds.length;
  const users = matrix.userIds.length;
  if (n === 0 || matrix.nnz === 0) throw new MlInputError('ELSA needs at least one interaction');

  // Glorot-uniform-like start; rows are normalised in the forward pass anyway.
  const limit = Math.sqrt(6 / (n + factors));
  const a = tf.variable(tf.randomUniform([n, factors], -limit, limit, 'float32', seed), true, `elsa_A_${seed}`);
  const optimizer = tf.train.adam(learningRate);
  const random = mulberry32(seed);
  const order = Array.from({ length: users }, (_, u) => u);
  const target = new Float32Array(batchSize * n);
  const started = Date.now();
  let epochsRun = 0;
  const readEmbeddings = () => {
    const normalised = tf.tidy(() => l2NormaliseRows(a));
    const values = (normalised.dataSync() as Float32Array).slice();
    normalised.dispose();
    return values;
  };
  try {
    for (let epoch = 1; epoch <= epochs; epoch += 1) {
      const epochStart = Date.now();
      shuffleInPlace(order, random);
      let lossSum = 0;
      let samples = 0;
      for (let start = 0; start < users; start += batchSize) {
        const batch = order.slice(start, start + batchSize);
        const b = batch.length;
        let nnz = 0;
        for (const u of batch) nnz += matrix.indptr[u + 1] - matrix.indptr[u];
        const itemIdx = new Int32Array(nnz);
        const rowIdx = new Int32Array(nnz);
        target.fill(0, 0, b * n);
        let p = 0;
        batch.forEach((u, row) => {
          for (let q = matrix.indptr[u]; q < matrix.indptr[u + 1]; q += 1) {
            itemIdx[p] = matrix.indices[q];
            rowIdx[p] = row;
            target[row * n + matrix.indices[q]] = 1;
            p += 1;
          }
        });
        const loss = tf.tidy(() => {
          const items = tf.tensor1d(itemIdx, 'int32');
          const rows = tf.tensor1d(rowIdx, 'int32');
          const x = tf.tensor2d(target.subarray(0, b * n), [b, n]);
          const xNorm = l2NormaliseRows(x);
          return optimizer.minimize(() => {
            const aHat = l2NormaliseRows(a);
            const userVectors = tf.unsortedSegmentSum(tf.gather(aHat, items), rows, b) as tf.Tensor2D;
            const predicted = tf.sub(tf.matMul(userVectors, aHat, false, true), x) as tf.Tensor2D;
            return tf.div(tf.sum(tf.square(tf.sub(l2NormaliseRows(predicted), xNorm))), b) as tf.Scalar;
          }, true) as tf.Scalar;
        });
        lossSum += loss.dataSync()[0] * b;
        loss.dispose();
        samples += nnz;
      }
      epochsRun = epoch;
      const seconds = (Date.now() - epochStart) / 1000;
      const snapshot = () =>
        new ElsaRecommender(matrix.itemIds, readEmbeddings(), factors, { factors, epochs: epoch, batchSize, learningRate, seed }, { backend: tf.getBackend(), epochsRun: epoch });
      const keepGoing = options.onEpoch?.({ epoch, epochs, loss: lossSum / users, seconds, samplesPerSec: samples / seconds, snapshot });
      if (keepGoing === false) break;
    }
    const embeddings = readEmbeddings();
    const trainSeconds = (Date.now() - started) / 1000;
    return new ElsaRecommender(
      matrix.itemIds,
      embeddings,
      factors,
      { factors, epochs, batchSize, learningRate, seed },
      { backend: tf.getBackend(), epochsRun, trainSeconds, samplesPerSec: (matrix.nnz * epochsRun) / trainSeconds, users, items: n, nnz: matrix.nnz },
    );
  } finally {
    a.dispose();
    optimizer.dispose();
  }
}
