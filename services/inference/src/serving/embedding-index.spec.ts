import { ElsaRecommender, fitElsa, buildImplicitMatrix, initTfBackend, mulberry32, type UserItem } from '@storeloop/ml';
import { StoreloopError } from '@storeloop/observability';
import { EmbeddingIndex, INVALID_QUERY, MODEL_ARTIFACT_INVALID, UNKNOWN_ITEM } from './embedding-index';

/** Three taste groups over 30 items with some noise: enough structure for ELSA to learn distinct neighbours. */
function interactions(): UserItem[] {
  const random = mulberry32(11);
  const rows: UserItem[] = [];
  for (let u = 0; u < 90; u += 1) {
    const group = u % 3;
    for (let i = 0; i < 10; i += 1) if (random() < 0.6) rows.push({ userId: `u${u}`, itemId: `sku-${group * 10 + i}` });
    rows.push({ userId: `u${u}`, itemId: `sku-${Math.floor(random() * 30)}` });
  }
  return rows;
}

/** The artifact's two files as the artifact store hands them over. */
function artifactBytes(model: ElsaRecommender): { metadata: Uint8Array; weights: Uint8Array } {
  const { metadata, weights } = model.toArtifact();
  return {
    metadata: new TextEncoder().encode(JSON.stringify(metadata)),
    weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength).slice(),
  };
}

/** `bytes` copied to an odd offset of a larger buffer, as a pooled Buffer slice may be. */
function misaligned(bytes: Uint8Array): Uint8Array {
  const holder = new Uint8Array(bytes.byteLength + 3);
  holder.set(bytes, 1);
  return holder.subarray(1, 1 + bytes.byteLength);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StoreloopError ? error.code : `not a StoreloopError: ${String(error)}`;
  }
  return undefined;
}

// One real (tiny) ELSA training on the TF.js cpu backend: well under a second, but jest's 5 s default is tight on a busy machine.
jest.setTimeout(60_000);

describe('EmbeddingIndex on a trained ELSA model', () => {
  let model: ElsaRecommender;
  let index: EmbeddingIndex;
  const histories: string[][] = [];

  beforeAll(async () => {
    await initTfBackend({ preferred: 'cpu' });
    const data = interactions();
    // The cpu backend's one-time advice to install tfjs-node is noise here.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      model = fitElsa(buildImplicitMatrix(data), { factors: 8, epochs: 3, batchSize: 16, seed: 3 });
    } finally {
      warn.mockRestore();
    }
    const bytes = artifactBytes(model);
    index = EmbeddingIndex.fromRecommenderArtifact(bytes.metadata, bytes.weights);
    const byUser = new Map<string, string[]>();
    for (const { userId, itemId } of data) byUser.set(userId, [...(byUser.get(userId) ?? []), itemId]);
    histories.push(...byUser.values());
  });

  it('reads the catalogue and the embedding size from the artifact', () => {
    expect(index.size).toBe(model.itemIds.length);
    expect(index.dim).toBe(8);
    expect(index.has('sku-0')).toBe(true);
    expect(index.indexOf('sku-0')).toBe(model.itemIndex.get('sku-0'));
    expect(index.indexOf('no-such-sku')).toBe(-1);
    expect(Array.from(index.vector('sku-3') ?? [])).toEqual(Array.from(model.embeddings.subarray(model.itemIndex.get('sku-3')! * 8, (model.itemIndex.get('sku-3')! + 1) * 8)));
    expect(index.vector('no-such-sku')).toBeUndefined();
  });

  it('ranks exactly as ElsaRecommender.recommend: same items, same order, same float32 scores', () => {
    for (const history of histories) {
      const query = index.queryFromHistory(history);
      expect(query).not.toBeNull();
      const served = index.topK(query!, 10, index.indicesOf(history));
      const offline = model.recommend(history, 10).map(({ itemId, score }) => ({ sku: itemId, score }));
      expect(served).toEqual(offline);
    }
  });

  it('finds the same similar items as ElsaRecommender.similarItems, never the item itself', () => {
    for (const sku of ['sku-0', 'sku-11', 'sku-29']) {
      const similar = index.similar(sku, 5);
      expect(similar).toEqual(model.similarItems(sku, 5).map(({ itemId, score }) => ({ sku: itemId, score })));
      expect(similar.map((s) => s.sku)).not.toContain(sku);
      // Rows are unit length, so a neighbour's score is a cosine.
      similar.forEach(({ score }) => expect(Math.abs(score)).toBeLessThanOrEqual(1 + 1e-6));
    }
    expect(codeOf(() => index.similar('no-such-sku', 5))).toBe(UNKNOWN_ITEM);
  });

  it('ignores unknown items in a history and returns null when none is known', () => {
    const history = ['sku-1', 'sku-2'];
    const withStrangers = ['new-sku', 'sku-1', 'other-new', 'sku-2'];
    expect(Array.from(index.queryFromHistory(withStrangers)!)).toEqual(Array.from(index.queryFromHistory(history)!));
    expect(index.queryFromHistory(['new-sku', 'other-new'])).toBeNull();
    expect(index.queryFromHistory([])).toBeNull();
  });

  it('counts a repeated item once without weights, and weight × vector per occurrence with them', () => {
    const once = index.queryFromHistory(['sku-4'])!;
    expect(Array.from(index.queryFromHistory(['sku-4', 'sku-4'])!)).toEqual(Array.from(once));
    const weighted = index.queryFromHistory(['sku-4', 'sku-5'], [2, 0.5])!;
    const a = index.vector('sku-4')!;
    const b = index.vector('sku-5')!;
    weighted.forEach((v, f) => expect(v).toBeCloseTo(2 * a[f] + 0.5 * b[f], 6));
    expect(codeOf(() => index.queryFromHistory(['sku-4'], [1, 2]))).toBe(INVALID_QUERY);
  });

  it('loads the same index from bytes at a misaligned offset', () => {
    const bytes = artifactBytes(model);
    const shifted = EmbeddingIndex.fromRecommenderArtifact(misaligned(bytes.metadata), misaligned(bytes.weights));
    const query = index.queryFromHistory(histories[0])!;
    expect(shifted.topK(query, 10)).toEqual(index.topK(query, 10));
  });

  it('scores one item as the dot product topK ranks by', () => {
    const query = index.queryFromHistory(histories[1])!;
    const [best] = index.topK(query, 1);
    expect(index.scoreOf(query, best.sku)).toBe(best.score);
    expect(index.scoreOf(query, 'no-such-sku')).toBeNull();
    expect(codeOf(() => index.scoreOf(new Float32Array(3), best.sku))).toBe(INVALID_QUERY);
  });
});

describe('EmbeddingIndex.topK', () => {
  // Row i of a 1-d index has score i·q: easy to reason about.
  const line = new EmbeddingIndex(['a', 'b', 'c', 'd', 'e'], Float32Array.from([1, 5, 3, 5, 2]), 1);
  const one = Float32Array.from([1]);

  it('returns the k best, best first, ties to the lower index', () => {
    expect(line.topK(one, 3)).toEqual([
      { sku: 'b', score: 5 },
      { sku: 'd', score: 5 },
      { sku: 'c', score: 3 },
    ]);
    expect(line.topK(one, 1)).toEqual([{ sku: 'b', score: 5 }]);
    // A negative query reverses the order.
    expect(line.topK(Float32Array.from([-1]), 2).map((s) => s.sku)).toEqual(['a', 'e']);
  });

  it('keeps ties deterministic when many rows score the same', () => {
    const flat = new EmbeddingIndex(
      Array.from({ length: 50 }, (_, i) => `s${i}`),
      new Float32Array(50).fill(1),
      1,
    );
    expect(flat.topK(one, 4).map((s) => s.sku)).toEqual(['s0', 's1', 's2', 's3']);
  });

  it('returns the whole catalogue, sorted, when k exceeds it', () => {
    expect(line.topK(one, 50).map((s) => s.sku)).toEqual(['b', 'd', 'c', 'e', 'a']);
  });

  it('leaves out excluded rows given as a set or a predicate', () => {
    expect(line.topK(one, 2, new Set([1])).map((s) => s.sku)).toEqual(['d', 'c']);
    expect(line.topK(one, 2, (i) => i === 1 || i === 3).map((s) => s.sku)).toEqual(['c', 'e']);
    expect(line.topK(one, 10, () => true)).toEqual([]);
  });

  it('agrees with a full sort on a random catalogue', () => {
    const random = mulberry32(5);
    // Not a multiple of the 4-row blocks, and more than one 1,024-row scoring chunk.
    const n = 2003;
    const dim = 16;
    const vectors = Float32Array.from({ length: n * dim }, () => random() * 2 - 1);
    const big = new EmbeddingIndex(
      Array.from({ length: n }, (_, i) => `sku-${i}`),
      vectors,
      dim,
    );
    const query = Float32Array.from({ length: dim }, () => random() * 2 - 1);
    const expected = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let f = 0; f < dim; f += 1) s += vectors[i * dim + f] * query[f];
      return { sku: `sku-${i}`, score: Math.fround(s), i };
    })
      .filter(({ i }) => i % 7 !== 0)
      .sort((x, y) => y.score - x.score || x.i - y.i)
      .slice(0, 25)
      .map(({ sku, score }) => ({ sku, score }));
    expect(big.topK(query, 25, (i) => i % 7 === 0)).toEqual(expected);
  });

  it('never returns NaN or -Infinity scores', () => {
    const odd = new EmbeddingIndex(['x', 'y', 'z'], Float32Array.from([Number.NaN, Number.NEGATIVE_INFINITY, -1]), 1);
    expect(odd.topK(one, 3)).toEqual([{ sku: 'z', score: -1 }]);
  });

  it('rejects a k below 1 and a query of the wrong length with INFERENCE.INVALID_QUERY', () => {
    expect(codeOf(() => line.topK(one, 0))).toBe(INVALID_QUERY);
    expect(codeOf(() => line.topK(one, 1.5))).toBe(INVALID_QUERY);
    expect(codeOf(() => line.topK(new Float32Array(2), 1))).toBe(INVALID_QUERY);
  });
});

describe('EmbeddingIndex.fromRecommenderArtifact on a corrupt artifact', () => {
  const itemIds = ['a', 'b', 'c'];
  const metadata = (overrides: Record<string, unknown> = {}) =>
    new TextEncoder().encode(
      JSON.stringify({
        format: 'storeloop.recommender',
        formatVersion: 1,
        family: 'elsa',
        itemIds,
        weights: [{ name: 'A', shape: [3, 2], dtype: 'float32' }],
        hyperparameters: {},
        training: {},
        ...overrides,
      }),
    );
  const weights = new Uint8Array(Float32Array.from([1, 0, 0, 1, 0.6, 0.8]).buffer);

  /** The error's code and message, for assertions on both. */
  function failure(meta: Uint8Array, bin: Uint8Array): { code: string; message: string } {
    try {
      EmbeddingIndex.fromRecommenderArtifact(meta, bin);
    } catch (error) {
      if (!(error instanceof StoreloopError)) throw error;
      expect(error.retriable).toBe(false);
      return { code: error.code, message: error.message };
    }
    throw new Error('expected the artifact to be rejected');
  }

  it('accepts the well-formed one', () => {
    const index = EmbeddingIndex.fromRecommenderArtifact(metadata(), weights);
    expect(index.similar('a', 1)).toEqual([{ sku: 'c', score: Math.fround(0.6) }]);
  });

  it('names a wrong byte length and the tensors it expected', () => {
    const { code, message } = failure(metadata(), weights.subarray(0, 20));
    expect(code).toBe(MODEL_ARTIFACT_INVALID);
    expect(message).toMatch(/hold 20 bytes.*A \[3,2\].*need 24/);
  });

  it('names a missing embedding tensor', () => {
    const { code, message } = failure(metadata({ weights: [{ name: 'B', shape: [3, 2], dtype: 'float32' }] }), weights);
    expect(code).toBe(MODEL_ARTIFACT_INVALID);
    expect(message).toMatch(/no item-embedding tensor 'A' \(tensors: B\)/);
  });

  it('names a shape that does not match the catalogue', () => {
    const { message } = failure(metadata({ weights: [{ name: 'A', shape: [2, 3], dtype: 'float32' }] }), weights);
    expect(message).toMatch(/'A' must be \[items=3, dim>0\], got \[2,3\]/);
  });

  it('names a family without embeddings, a wrong format, a bad version, bad JSON and repeated ids', () => {
    expect(failure(metadata({ family: 'ease' }), weights).message).toMatch(/family 'ease' has no item embeddings/);
    expect(failure(metadata({ format: 'something-else' }), weights).message).toMatch(/format "something-else"/);
    expect(failure(metadata({ formatVersion: 2 }), weights).message).toMatch(/formatVersion 2/);
    expect(failure(new TextEncoder().encode('{"format":'), weights).message).toMatch(/not valid UTF-8 JSON/);
    expect(failure(metadata({ itemIds: ['a', 'b', 'a'] }), weights).message).toMatch(/'a' appears twice/);
    expect(failure(metadata({ weights: [{ name: 'A', shape: [3, 2], dtype: 'int32' }] }), weights).message).toMatch(/dtype 'int32'/);
  });
});
