import { demandPath, empiricalDemand, logGamma, normalDemand, poissonDemand, poissonPmf, samplePoisson } from './demand';
import { mulberry32 } from './random';

function moments(values: Float64Array) {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, variance };
}

describe('demand samplers', () => {
  it.each([0.7, 5, 12, 80])('Poisson(%p) draws have the right mean and variance', (mean) => {
    const { mean: m, variance } = moments(demandPath(poissonDemand(mean), 100_000, 3));
    expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(mean / 100_000));
    expect(Math.abs(variance / mean - 1)).toBeLessThan(0.03);
  });

  it('Poisson draws follow the pmf (inversion and PTRS branches)', () => {
    for (const mean of [5, 20]) {
      const random = mulberry32(11);
      const counts = new Map<number, number>();
      const n = 200_000;
      for (let i = 0; i < n; i += 1) {
        const k = samplePoisson(mean, random);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const pmf = poissonPmf(mean, 3 * mean);
      for (const k of [Math.round(mean) - 2, Math.round(mean), Math.round(mean) + 3]) {
        expect(Math.abs((counts.get(k) ?? 0) / n - pmf[k])).toBeLessThan(5 * Math.sqrt(pmf[k] / n));
      }
    }
  });

  it('is reproducible from the seed', () => {
    expect(Array.from(demandPath(poissonDemand(5), 50, 9))).toEqual(Array.from(demandPath(poissonDemand(5), 50, 9)));
    expect(Array.from(demandPath(poissonDemand(5), 50, 9))).not.toEqual(Array.from(demandPath(poissonDemand(5), 50, 10)));
  });

  it('pmf sums to one and logGamma matches factorials', () => {
    expect(poissonPmf(5, 60).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(logGamma(6)).toBeCloseTo(Math.log(120), 10);
  });

  it('normal demand is non-negative integers; empirical demand draws observed values', () => {
    const normal = demandPath(normalDemand(2, 3), 10_000, 1);
    expect(normal.every((v) => v >= 0 && Number.isInteger(v))).toBe(true);
    const empirical = demandPath(empiricalDemand([0, 3, 7]), 1000, 1);
    expect(new Set(empirical)).toEqual(new Set([0, 3, 7]));
    expect(() => empiricalDemand([])).toThrow('at least one');
    expect(() => poissonDemand(-1)).toThrow('non-negative');
  });
});
