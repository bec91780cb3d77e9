/**
 * Exact (brute-force) maximum-inner-product search over the champion's item
 * embeddings, the retrieval step of every recommendation the service serves.
 *
 * ELSA (libs/ml/src/recommender/elsa.ts) scores item j for a history H as
 * Âj · Σ_{h∈H} Âh (rows of Â are L2-normalised) and drops H itself, so a
 * user query is the sum of the history's vectors and "similar items" is the
 * cosine to one item. This index reproduces those scores bit for bit
 * (float32 query, double dot products rounded to float32, ties to the lower
 * index), so the service answers exactly what the offline evaluation measured.
 *
 * Cost per query: O(n·d) multiply-adds plus O(n log k) heap work, no
 * allocation per item. `npm run bench -- retrieval` measures where that stops
 * fitting the latency goal and an approximate index (HNSW, IVF-PQ) must take over.
 */
import type { RecommenderMetadata } from '@storeloop/ml';
import { StoreloopError } from '@storeloop/observability';

/** A malformed or unusable model artifact: not retriable, the same bytes fail again. */
export const MODEL_ARTIFACT_INVALID = 'INFERENCE.MODEL_ARTIFACT_INVALID';
/** A request for an item the loaded model does not know. */
export const UNKNOWN_ITEM = 'INFERENCE.UNKNOWN_ITEM';
/** A caller passed arguments no answer can be computed for (k < 1, a query of the wrong length). */
export const INVALID_QUERY = 'INFERENCE.INVALID_QUERY';

/** Rows scored per pass before selection; small enough to stay in L1 cache. */
const SCORE_CHUNK = 1024;

/** The tensor of item embeddings in an ELSA artifact (see ElsaRecommender.weightTensors). */
const EMBEDDINGS_TENSOR = 'A';

export interface ScoredSku {
  sku: string;
  score: number;
}

/** Items to leave out of a result: a predicate on the item's row index, or a set of row indices. */
export type IndexExclusion = ((index: number) => boolean) | ReadonlySet<number>;

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function artifactError(message: string, cause?: unknown): StoreloopError {
  return new StoreloopError(MODEL_ARTIFACT_INVALID, message, { retriable: false, cause });
}

function requireK(k: number): void {
  if (!Number.isSafeInteger(k) || k < 1) throw new StoreloopError(INVALID_QUERY, `k must be a positive integer, got ${k}`);
}

export class EmbeddingIndex {
  readonly size: number;
  private readonly positions: Map<string, number>;
  /** Scratch min-heap of the best k so far (root = worst kept); grown when a larger k is asked for. */
  private heapScore = new Float64Array(16);
  private heapIndex = new Int32Array(16);
  /** Scratch scores of one chunk of rows: the scan allocates nothing per item. */
  private readonly chunkScores = new Float32Array(SCORE_CHUNK);

  /**
   * @param skus item ids, row i of `vectors` is skus[i]; must be distinct
   * @param vectors row-major size × dim; kept, not copied (do not mutate it afterwards)
   */
  constructor(
    private readonly skus: readonly string[],
    private readonly vectors: Float32Array,
    readonly dim: number,
  ) {
    if (!Number.isSafeInteger(dim) || dim < 1) throw artifactError(`embedding dim must be a positive integer, got ${dim}`);
    if (vectors.length !== skus.length * dim) {
      throw artifactError(`item vectors hold ${vectors.length} floats, expected ${skus.length} items × ${dim} dims = ${skus.length * dim}`);
    }
    this.size = skus.length;
    this.positions = new Map();
    skus.forEach((sku, i) => {
      if (this.positions.has(sku)) throw artifactError(`item id '${sku}' appears twice (rows ${this.positions.get(sku)} and ${i})`);
      this.positions.set(sku, i);
    });
  }

  /**
   * Reads the training service's ELSA artifact: `recommender.json` (libs/ml
   * RecommenderMetadata) and its binary of little-endian float32 tensors back
   * to back. The rows of 'A' are stored normalised, so they are used as they are.
   * The bytes may come at any offset (a Buffer from a pool): they are copied.
   */
  static fromRecommenderArtifact(metadataJsonBytes: Uint8Array, weightsBytes: Uint8Array): EmbeddingIndex {
    const metadata = parseMetadata(metadataJsonBytes);
    let offset = 0;
    let embeddings: { offset: number; shape: number[] } | undefined;
    for (const [i, tensor] of metadata.weights.entries()) {
      if (typeof tensor?.name !== 'string' || !Array.isArray(tensor.shape) || !tensor.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
        throw artifactError(`recommender.json weights[${i}] needs a name and a shape of non-negative integers`);
      }
      if (tensor.dtype !== 'float32') throw artifactError(`recommender.json tensor '${tensor.name}' has dtype '${tensor.dtype}', only float32 is stored`);
      if (tensor.name === EMBEDDINGS_TENSOR) embeddings = { offset, shape: tensor.shape };
      offset += tensor.shape.reduce((a, b) => a * b, 1);
    }
    if (weightsBytes.byteLength !== offset * 4) {
      throw artifactError(
        `recommender weights hold ${weightsBytes.byteLength} bytes, the metadata's tensors [${metadata.weights.map((t) => `${t.name} ${JSON.stringify(t.shape)}`).join(', ')}] need ${offset * 4}`,
      );
    }
    if (!embeddings) {
      throw artifactError(`recommender artifact has no item-embedding tensor '${EMBEDDINGS_TENSOR}' (tensors: ${metadata.weights.map((t) => t.name).join(', ') || 'none'})`);
    }
    const [rows, dim] = embeddings.shape;
    if (embeddings.shape.length !== 2 || rows !== metadata.itemIds.length || !(dim > 0)) {
      throw artifactError(`tensor '${EMBEDDINGS_TENSOR}' must be [items=${metadata.itemIds.length}, dim>0], got ${JSON.stringify(embeddings.shape)}`);
    }
    return new EmbeddingIndex(metadata.itemIds, readFloat32(weightsBytes, embeddings.offset * 4, rows * dim), dim);
  }

  has(sku: string): boolean {
    return this.positions.has(sku);
  }

  /** Row index of `sku`, or -1 when the model does not know it. */
  indexOf(sku: string): number {
    return this.positions.get(sku) ?? -1;
  }

  skuAt(index: number): string {
    return this.skus[index];
  }

  /** The item's vector (a view into the index: do not mutate), or undefined for an unknown item. */
  vector(sku: string): Float32Array | undefined {
    const i = this.positions.get(sku);
    return i === undefined ? undefined : this.vectors.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Row indices of the known items among `skus` (to exclude a user's history from their results). */
  indicesOf(skus: Iterable<string>): Set<number> {
    const out = new Set<number>();
    for (const sku of skus) {
      const i = this.positions.get(sku);
      if (i !== undefined) out.add(i);
    }
    return out;
  }

  /**
   * A user query from their history; unknown items (newer than the model) are
   * skipped, and null means none was known (the caller falls back, e.g. to
   * popular items). Without weights each distinct item counts once, as in
   * ELSA's binary history; with weights (recency, quantity) every occurrence
   * adds weight × vector. Summed in float32 in history order, as ELSA does.
   */
  queryFromHistory(skus: readonly string[], weights?: readonly number[]): Float32Array | null {
    if (weights !== undefined && weights.length !== skus.length) {
      throw new StoreloopError(INVALID_QUERY, `weights must have one entry per history item (${skus.length}), got ${weights.length}`);
    }
    const query = new Float32Array(this.dim);
    const seen = weights === undefined ? new Set<number>() : undefined;
    let known = 0;
    for (let h = 0; h < skus.length; h += 1) {
      const i = this.positions.get(skus[h]);
      if (i === undefined || seen?.has(i)) continue;
      seen?.add(i);
      known += 1;
      const w = weights === undefined ? 1 : weights[h];
      if (!Number.isFinite(w)) throw new StoreloopError(INVALID_QUERY, `weights[${h}] must be a finite number, got ${w}`);
      const row = i * this.dim;
      for (let f = 0; f < this.dim; f += 1) query[f] += w * this.vectors[row + f];
    }
    return known === 0 ? null : query;
  }

  /** Float32-rounded dot product of `query` with the item's vector; null for an unknown item. */
  scoreOf(query: Float32Array, sku: string): number | null {
    this.requireQuery(query);
    const i = this.positions.get(sku);
    return i === undefined ? null : Math.fround(this.dot(query, i * this.dim));
  }

  /**
   * The k items with the largest dot product with `query`, best first; ties
   * go to the lower row index, NaN and -Infinity scores are never returned.
   * `exclude` is consulted only for items good enough to enter the top k, so
   * a costly predicate runs a handful of times, not n.
   */
  topK(query: Float32Array, k: number, exclude?: IndexExclusion): ScoredSku[] {
    this.requireQuery(query);
    requireK(k);
    const wanted = Math.min(k, this.size);
    if (this.heapScore.length < wanted) {
      this.heapScore = new Float64Array(wanted);
      this.heapIndex = new Int32Array(wanted);
    }
    const isExcluded = exclude === undefined ? undefined : typeof exclude === 'function' ? exclude : (i: number) => exclude.has(i);
    const heapScore = this.heapScore;
    const heapIndex = this.heapIndex;
    const chunk = this.chunkScores;
    let count = 0;
    for (let start = 0; start < this.size; start += SCORE_CHUNK) {
      const end = Math.min(this.size, start + SCORE_CHUNK);
      this.scoreRows(query, start, end, chunk);
      for (let j = start; j < end; j += 1) {
        const score = chunk[j - start];
        // Equal to the worst kept is not enough: that one has the lower index, so it wins the tie.
        if (count === wanted ? !(score > heapScore[0]) : !(score > Number.NEGATIVE_INFINITY)) continue;
        if (isExcluded?.(j)) continue;
        if (count < wanted) {
          siftUp(heapScore, heapIndex, count, score, j);
          count += 1;
        } else {
          siftDown(heapScore, heapIndex, count, score, j);
        }
      }
    }
    const order = Array.from({ length: count }, (_, p) => p).sort((a, b) => heapScore[b] - heapScore[a] || heapIndex[a] - heapIndex[b]);
    return order.map((p) => ({ sku: this.skus[heapIndex[p]], score: heapScore[p] }));
  }

  /**
   * The k items nearest to `sku`, never itself. With ELSA's normalised rows the
   * score is the cosine, and the list equals ElsaRecommender.similarItems.
   */
  similar(sku: string, k: number): ScoredSku[] {
    const self = this.positions.get(sku);
    if (self === undefined) throw new StoreloopError(UNKNOWN_ITEM, `item '${sku}' is not in the model's catalogue`);
    return this.topK(this.vectors.subarray(self * this.dim, (self + 1) * this.dim), k, (i) => i === self);
  }

  private requireQuery(query: Float32Array): void {
    if (query.length !== this.dim) throw new StoreloopError(INVALID_QUERY, `query has ${query.length} dims, the index has ${this.dim}`);
  }

  /**
   * Scores of rows [start, end) into `out` (float32, so rounded as ELSA's
   * score array rounds them). Each row's dot product is summed in double in
   * dimension order, ElsaRecommender's order, which keeps results identical;
   * four rows at a time share each query load (~25% faster than one row).
   */
  private scoreRows(query: Float32Array, start: number, end: number, out: Float32Array): void {
    const v = this.vectors;
    const d = this.dim;
    let j = start;
    for (; j + 4 <= end; j += 4) {
      const r0 = j * d;
      const r1 = r0 + d;
      const r2 = r1 + d;
      const r3 = r2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let f = 0; f < d; f += 1) {
        const q = query[f];
        s0 += v[r0 + f] * q;
        s1 += v[r1 + f] * q;
        s2 += v[r2 + f] * q;
        s3 += v[r3 + f] * q;
      }
      const o = j - start;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
    }
    for (; j < end; j += 1) out[j - start] = this.dot(query, j * d);
  }

  private dot(query: Float32Array, row: number): number {
    const v = this.vectors;
    let s = 0;
    for (let f = 0; f < this.dim; f += 1) s += v[row + f] * query[f];
    return s;
  }
}

/** `worse(a, b)`: a lower score, or the same score at a higher index (which loses ties). */
function worse(scoreA: number, indexA: number, scoreB: number, indexB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && indexA > indexB);
}

/** Inserts (score, index) at slot `count` of a min-heap of `count` entries. */
function siftUp(heapScore: Float64Array, heapIndex: Int32Array, count: number, score: number, index: number): void {
  let c = count;
  while (c > 0) {
    const p = (c - 1) >> 1;
    if (!worse(score, index, heapScore[p], heapIndex[p])) break;
    heapScore[c] = heapScore[p];
    heapIndex[c] = heapIndex[p];
    c = p;
  }
  heapScore[c] = score;
  heapIndex[c] = index;
}

/** Replaces the root of a full min-heap of `count` entries with (score, index). */
function siftDown(heapScore: Float64Array, heapIndex: Int32Array, count: number, score: number, index: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= count) break;
    const r = l + 1;
    const m = r < count && worse(heapScore[r], heapIndex[r], heapScore[l], heapIndex[l]) ? r : l;
    if (!worse(heapScore[m], heapIndex[m], score, index)) break;
    heapScore[i] = heapScore[m];
    heapIndex[i] = heapIndex[m];
    i = m;
  }
  heapScore[i] = score;
  heapIndex[i] = index;
}

function parseMetadata(bytes: Uint8Array): RecommenderMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw artifactError(`recommender.json is not valid UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const m = parsed as Partial<RecommenderMetadata> | null;
  if (m?.format !== 'storeloop.recommender') throw artifactError(`recommender.json has format ${JSON.stringify(m?.format)}, expected "storeloop.recommender"`);
  if (m.formatVersion !== 1) throw artifactError(`recommender.json has formatVersion ${JSON.stringify(m.formatVersion)}, this build reads 1`);
  if (m.family !== 'elsa') {
    throw artifactError(`recommender family '${m.family}' has no item embeddings to index; the inference service serves ELSA models`);
  }
  if (!Array.isArray(m.itemIds) || !m.itemIds.every((id) => typeof id === 'string')) throw artifactError('recommender.json itemIds must be an array of strings');
  if (!Array.isArray(m.weights)) throw artifactError('recommender.json weights must be an array of tensor descriptions');
  return m as RecommenderMetadata;
}

/** `count` little-endian float32 values at byte `offset`, copied into a fresh (aligned) array. */
function readFloat32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (hostIsLittleEndian) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
    for (let i = 0; i < count; i += 1) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}
