import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { switchTfBackend } from '../tf';
import { fitItemKnn, fitTopPop } from './baselines';
import { fitEase, invertSpdInPlace } from './ease';
import { fitElsa } from './elsa';
import { buildImplicitMatrix } from './interactions';
import { topKIndices } from './topk';
import { loadRecommender, readRecommenderArtifact, saveRecommenderArtifact, trainRecommender } from './train';

/** Two clear taste groups: users 0-9 take items a*, users 10-19 take items b*; each user misses one item of their group. */
function twoGroups() {
  const rows: { userId: string; itemId: string }[] = [];
  for (let u = 0; u < 20; u += 1) {
    const group = u < 10 ? 'a' : 'b';
    for (let i = 0; i < 5; i += 1) if (i !== u % 5) rows.push({ userId: `u${u}`, itemId: `${group}${i}` });
  }
  return rows;
}

describe('buildImplicitMatrix', () => {
  it('counts each (user, item) pair once and keeps a given item order', () => {
    const m = buildImplicitMatrix(
      [
        { userId: 'x', itemId: 'b' },
        { userId: 'x', itemId: 'b' },
        { userId: 'y', itemId: 'a' },
      ],
      ['a', 'b', 'c'],
    );
    expect(m.nnz).toBe(2);
    expect(Array.from(m.indptr)).toEqual([0, 1, 2]);
    expect(Array.from(m.indices)).toEqual([1, 0]);
    expect(() => buildImplicitMatrix([{ userId: 'x', itemId: 'z' }], ['a'])).toThrow(/not in the given itemIds/);
  });
});

describe('topKIndices', () => {
  it('returns the k best, best first, ties to the lower index, skipping -Infinity', () => {
    expect(topKIndices([0.1, 0.9, 0.5, 0.9, Number.NEGATIVE_INFINITY, 0.2], 3)).toEqual([1, 3, 2]);
    expect(topKIndices([Number.NEGATIVE_INFINITY, 1], 5)).toEqual([1]);
  });
});

describe('EASE', () => {
  it('inverts an SPD matrix', () => {
    const a = new Float64Array([4, 1, 2, 1, 3, 0, 2, 0, 5]);
    const inv = a.slice();
    invertSpdInPlace(inv, 3);
    for (let i = 0; i < 3; i += 1)
      for (let j = 0; j < 3; j += 1) {
        let s = 0;
        for (let m = 0; m < 3; m += 1) s += a[i * 3 + m] * inv[m * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });

  it('matches the closed form B = I - P / diag(P) on a tiny matrix and recommends within the taste group', () => {
    const model = fitEase(buildImplicitMatrix(twoGroups()), { lambda: 1 });
    const n = model.itemIds.length;
    for (let i = 0; i < n; i += 1) expect(model.weights[i * n + i]).toBe(0);
    const recs = model.recommend(['a1', 'a2'], 3).map((r) => r.itemId);
    expect(recs.slice(0, 3).sort()).toEqual(['a0', 'a3', 'a4']);
    expect(recs).not.toContain('a1');
    expect(model.recommend(['a1', 'a2'], 2, { exclude: ['a0'] }).map((r) => r.itemId)).not.toContain('a0');
    expect(model.similarItems('b0', 4).every((r) => r.itemId.startsWith('b'))).toBe(true);
  });

  it('refuses catalogues above maxItems', () => {
    expect(() => fitEase(buildImplicitMatrix(twoGroups()), { maxItems: 5 })).toThrow(/use ELSA/);
  });
});

describe('baselines', () => {
  it('TopPop ranks by count and item-kNN by co-occurrence', () => {
    const rows = [...twoGroups(), { userId: 'z', itemId: 'b3' }, { userId: 'w', itemId: 'b3' }];
    expect(fitTopPop(buildImplicitMatrix(rows)).recommend([], 1)[0].itemId).toBe('b3');
    expect(fitItemKnn(buildImplicitMatrix(rows)).recommend(['a0'], 4).every((r) => r.itemId.startsWith('a'))).toBe(true);
  });
});

describe.each(['cpu', 'wasm'])('ELSA on %s', (backend) => {
  beforeAll(async () => {
    await switchTfBackend(backend);
  });

  it('learns the taste groups, exports unit-norm embeddings and is reproducible with a seed', () => {
    const matrix = buildImplicitMatrix(twoGroups());
    const losses: number[] = [];
    const options = { factors: 8, epochs: 20, batchSize: 8, learningRate: 0.05, seed: 7, onEpoch: (e: { loss: number }) => void losses.push(e.loss) };
    const model = fitElsa(matrix, options);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const recs = model.recommend(['b0', 'b1'], 3).map((r) => r.itemId);
    expect(recs.every((id) => id.startsWith('b'))).toBe(true);
    const { dim, vectors } = model.itemEmbeddings();
    expect(dim).toBe(8);
    let norm = 0;
    for (let f = 0; f < dim; f += 1) norm += vectors[f] ** 2;
    expect(norm).toBeCloseTo(1, 4);
    const again = fitElsa(matrix, { ...options, onEpoch: undefined });
    expect(Array.from(again.embeddings.slice(0, 8))).toEqual(Array.from(model.embeddings.slice(0, 8)));
  });
});

describe('trainRecommender and artifacts', () => {
  let dir: string;
  beforeAll(async () => {
    await switchTfBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'recommender-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("'auto' picks EASE up to easeMaxItems and ELSA above", () => {
    expect(trainRecommender(twoGroups()).family).toBe('ease');
    const elsa = trainRecommender(twoGroups(), { easeMaxItems: 5, elsa: { factors: 4, epochs: 2 } });
    expect(elsa.family).toBe('elsa');
    expect(elsa.training.selectedBy).toMatch(/10 items > easeMaxItems 5/);
  });

  it.each(['ease', 'elsa'] as const)('round-trips a %s model through the versioned artifact files', (family) => {
    const model = trainRecommender(twoGroups(), { family, elsa: { factors: 4, epochs: 3 } });
    saveRecommenderArtifact(join(dir, family), model.toArtifact());
    const artifact = readRecommenderArtifact(join(dir, family));
    expect(artifact.metadata).toMatchObject({ format: 'storeloop.recommender', formatVersion: 1, family });
    const loaded = loadRecommender(artifact);
    expect(loaded.recommend(['a1'], 4)).toEqual(model.recommend(['a1'], 4));
    expect(() => loadRecommender({ ...artifact, weights: artifact.weights.subarray(1) })).toThrow(/too short|beyond/);
    expect(() => loadRecommender({ ...artifact, metadata: { ...artifact.metadata, formatVersion: 2 as 1 } })).toThrow(/formatVersion 2/);
  });
});
