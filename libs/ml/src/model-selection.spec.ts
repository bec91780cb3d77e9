import { MlInputError } from './errors';
import { crossValidate, expandGrid, kFold, searchHyperparameters } from './model-selection';

describe('kFold', () => {
  it('partitions the rows into k test sets with train as the complement', () => {
    const folds = kFold(10, { k: 3, seed: 7 });
    expect(folds).toHaveLength(3);
    const allTest = folds.flatMap((fold) => fold.test).sort((a, b) => a - b);
    expect(allTest).toEqual([...Array(10).keys()]);
    expect(folds.map((fold) => fold.test.length).sort()).toEqual([3, 3, 4]);
    for (const fold of folds) {
      expect(fold.train.length + fold.test.length).toBe(10);
      expect(fold.train.some((i) => fold.test.includes(i))).toBe(false);
    }
  });

  it('is reproducible for a seed and differs across seeds', () => {
    expect(kFold(20, { k: 4, seed: 1 })).toEqual(kFold(20, { k: 4, seed: 1 }));
    expect(kFold(20, { k: 4, seed: 1 })).not.toEqual(kFold(20, { k: 4, seed: 2 }));
  });

  it('stratifies: every fold holds the same share of each label', () => {
    // 8 positives, 12 negatives, 4 folds -> 2 positives and 3 negatives each
    const labels = Array.from({ length: 20 }, (_, i) => (i % 5 < 2 ? 1 : 0));
    for (const fold of kFold(20, { k: 4, seed: 3, stratifyBy: labels })) {
      expect(fold.test.filter((i) => labels[i] === 1)).toHaveLength(2);
      expect(fold.test.filter((i) => labels[i] === 0)).toHaveLength(3);
    }
  });

  it('rejects impossible requests', () => {
    expect(() => kFold(3, { k: 4, seed: 1 })).toThrow('k (4) must not exceed the number of rows (3)');
    expect(() => kFold(3, { k: 1, seed: 1 })).toThrow(MlInputError);
    expect(() => kFold(3, { k: 2, seed: 1, stratifyBy: [1, 0] })).toThrow(/one entry per row/);
  });
});

describe('crossValidate', () => {
  it('summarises fold scores with mean and sample std', async () => {
    const folds = kFold(6, { k: 3, seed: 1 });
    const result = await crossValidate(folds, (_fold, index) => [1, 2, 3][index]);
    expect(result.foldScores).toEqual([1, 2, 3]);
    expect(result.mean).toBe(2);
    expect(result.std).toBeCloseTo(1, 12);
  });

  it('refuses a non-finite score', async () => {
    await expect(crossValidate(kFold(4, { k: 2, seed: 1 }), () => Number.NaN)).rejects.toThrow(/fold 0 scored NaN/);
  });
});

describe('searchHyperparameters', () => {
  it('expands a grid with the first key varying slowest', () => {
    expect(expandGrid({ a: [1, 2], b: ['x', 'y'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('finds the config that minimises a known objective, with all fold scores', async () => {
    // Fold-dependent noise, minimum at a = 2, b = -1.
    const folds = kFold(9, { k: 3, seed: 5 });
    const result = await searchHyperparameters({
      grid: { a: [0, 1, 2, 3], b: [-2, -1, 0] },
      folds,
      direction: 'minimize',
      evaluate: ({ a, b }, _fold, index) => (a - 2) ** 2 + (b + 1) ** 2 + index * 0.01,
    });
    expect(result.best.config).toEqual({ a: 2, b: -1 });
    expect(result.best.foldScores).toEqual([0, 0.01, 0.02]);
    expect(result.trials).toHaveLength(12);
  });

  it('random search scores a seeded subset of the grid', async () => {
    const options = {
      grid: { a: [0, 1, 2, 3, 4, 5] },
      folds: kFold(4, { k: 2, seed: 1 }),
      direction: 'maximize' as const,
      evaluate: ({ a }: { a: number }) => a,
      samples: 3,
      seed: 11,
    };
    const first = await searchHyperparameters(options);
    const second = await searchHyperparameters(options);
    expect(first.trials).toHaveLength(3);
    expect(first.trials.map((t) => t.config)).toEqual(second.trials.map((t) => t.config));
    expect(first.best.mean).toBe(Math.max(...first.trials.map((t) => t.mean)));
    await expect(searchHyperparameters({ ...options, seed: undefined })).rejects.toThrow('random search needs a seed');
  });
});
