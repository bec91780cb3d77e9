import { hyp2f1, logBeta, logGamma } from './special-functions';
import { nelderMead } from './nelder-mead';

describe('logGamma', () => {
  it('matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(171)).toBeCloseTo(706.5730622457874, 8); // ln(170!)
    expect(logGamma(0.1)).toBeCloseTo(2.2527126517342, 10);
  });

  it('gives ln B(a, b)', () => {
    // B(2, 3) = 1! 2! / 4! = 1/12
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 12);
    expect(() => logGamma(0)).toThrow(/x > 0/);
  });
});

describe('hyp2f1', () => {
  it('matches closed forms', () => {
    // 2F1(1, 1; 2; z) = -ln(1 - z) / z
    expect(hyp2f1(1, 1, 2, 0.5)).toBeCloseTo(-Math.log(0.5) / 0.5, 12);
    // 2F1(a, b; b; z) = (1 - z)^-a
    expect(hyp2f1(0.7, 2.3, 2.3, 0.9)).toBeCloseTo(0.1 ** -0.7, 9);
    expect(hyp2f1(2, 3, 4, 0)).toBe(1);
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(/0 <= z < 1/);
  });
});

describe('nelderMead', () => {
  it('minimises the Rosenbrock function', () => {
    const result = nelderMead(([x, y]) => 100 * (y - x * x) ** 2 + (1 - x) ** 2, [-1.2, 1], { maxIterations: 5000 });
    expect(result.converged).toBe(true);
    expect(result.point[0]).toBeCloseTo(1, 4);
    expect(result.point[1]).toBeCloseTo(1, 4);
  });

  it('retreats from non-finite regions', () => {
    const result = nelderMead(([x]) => (x < 0 ? Number.NaN : (x - 2) ** 2), [0.5]);
    expect(result.point[0]).toBeCloseTo(2, 4);
  });
});
