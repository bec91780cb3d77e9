import { deserializePolicy, mulberry32 } from '@storeloop/supply-chain';
import { alignHistories, feasibleWindows, trainAndEvaluate } from './training-worker';

function noisySeries(days: number, mean: number, seed: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: days }, () => Math.max(0, Math.round(mean + (random() - 0.5) * mean)));
}

describe('training job', () => {
  it('lines series up on the last day, each starting at its first sale', () => {
    expect(alignHistories([[1, 2, 3], [4]])).toEqual([
      { demand: [1, 2, 3], firstDay: 0 },
      { demand: [0, 0, 4], firstDay: 2 },
    ]);
  });

  it('keeps the forecast windows whose rollouts fit in the shortest training series', () => {
    expect(feasibleWindows(72)).toEqual([7, 14]);
    expect(feasibleWindows(400)).toEqual([7, 14, 28, 56]);
    expect(feasibleWindows(38)).toEqual([]);
  });

  it('trains, scores both policies on the held-out days, and writes an artifact that loads under the run version', async () => {
    const series = [noisySeries(120, 6, 1), noisySeries(100, 3, 2), noisySeries(120, 10, 3)];
    const result = await trainAndEvaluate({
      series,
      leadTimeDays: 2,
      holdingCost: 1,
      penaltyCost: 9,
      budgetMs: 60_000,
      algorithm: 'api',
      states: 300,
      epochs: 2,
      iterations: 1,
      testDays: 28,
      seed: 5,
      version: '42',
    });
    expect(result.testDays).toBe(28);
    for (const score of [result.learned, result.classical]) {
      expect(score.cost).toBeGreaterThan(0);
      expect(score.fillRate).toBeGreaterThan(0.5);
      expect(score.fillRate).toBeLessThanOrEqual(1);
    }
    expect(result.artifact.metadata).toMatchObject({ version: '42', structure: { kind: 'forecast-base-stock', params: { leadTime: 2 } } });
    const policy = deserializePolicy(result.artifact.metadata, result.artifact.weights);
    expect(policy.version).toBe('42');
    expect(policy.order({ onHand: 0, pipeline: [0], demandMean: 6, demandStd: 2 })).toBeGreaterThan(0);
  }, 60_000);
});
