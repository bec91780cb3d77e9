import { mulberry32, type Random } from '../random';
import {
  bgNbdExpectedPurchases,
  bgNbdLogLikelihood,
  bgNbdProbabilityAlive,
  bgNbdProbabilityOfPurchase,
  bgNbdTotalLogLikelihood,
  fitBgNbd,
  type RepeatPurchaseSummary,
} from './bgnbd';

const params = { r: 0.5, alpha: 2, a: 1.5, b: 3 };

describe('bgNbdLogLikelihood', () => {
  it('matches the closed form for a customer with no repeat purchase', () => {
    // x = 0: L = B(a, b)/B(a, b) * Γ(r) α^r / (Γ(r) (α+T)^r) = (α / (α + T))^r = (2/12)^0.5
    expect(bgNbdLogLikelihood(params, { frequency: 0, recency: 0, age: 10 })).toBeCloseTo(0.5 * Math.log(2 / 12), 12);
  });

  it('matches a hand computation with repeat purchases', () => {
    // x = 1, t_x = 4, T = 10, r = 0.5, alpha = 2, a = 1.5, b = 3:
    // Γ(r+x)/Γ(r) = Γ(1.5)/Γ(0.5) = 0.5; α^r = √2
    // B(a, b+1)/B(a, b) = b/(a+b) = 3/4.5; (α+T)^-(1.5) = 12^-1.5
    // B(a+1, b)/B(a, b) = a/(a+b) = 1.5/4.5; (α+t_x)^-(1.5) = 6^-1.5
    const expected = 0.5 * Math.SQRT2 * ((3 / 4.5) * 12 ** -1.5 + (1.5 / 4.5) * 6 ** -1.5);
    expect(bgNbdLogLikelihood(params, { frequency: 1, recency: 4, age: 10 })).toBeCloseTo(Math.log(expected), 12);
  });

  it('sums over customers with shared per-x terms exactly as one by one', () => {
    const customers = [
      { frequency: 0, recency: 0, age: 10 },
      { frequency: 2, recency: 7, age: 30 },
      { frequency: 0, recency: 0, age: 10 },
      { frequency: 2, recency: 3, age: 30 },
      { frequency: 5, recency: 20, age: 25 },
    ];
    const oneByOne = customers.reduce((s, c) => s + bgNbdLogLikelihood(params, c), 0);
    expect(bgNbdTotalLogLikelihood(params, customers)).toBeCloseTo(oneByOne, 10);
  });

  it('stays finite for heavy buyers (log-space sum)', () => {
    expect(Number.isFinite(bgNbdLogLikelihood(params, { frequency: 400, recency: 50, age: 52 }))).toBe(true);
  });
});

describe('BG/NBD predictions', () => {
  it('P(alive) is 1 without repeat purchases and falls with time since the last one', () => {
    expect(bgNbdProbabilityAlive(params, { frequency: 0, recency: 0, age: 30 })).toBe(1);
    // 1 / (1 + a/(b+x-1) ((α+T)/(α+t_x))^(r+x)) = 1 / (1 + (1.5/3) (12/6)^1.5)
    expect(bgNbdProbabilityAlive(params, { frequency: 1, recency: 4, age: 10 })).toBeCloseTo(1 / (1 + 0.5 * 2 ** 1.5), 12);
    const recent = bgNbdProbabilityAlive(params, { frequency: 3, recency: 9, age: 10 });
    const stale = bgNbdProbabilityAlive(params, { frequency: 3, recency: 2, age: 10 });
    expect(recent).toBeGreaterThan(stale);
  });

  it('P(buy in horizon) = P(alive) (1 - ((α+T)/(α+T+t))^(r+x))', () => {
    const customer = { frequency: 1, recency: 4, age: 10 };
    const alive = 1 / (1 + 0.5 * 2 ** 1.5);
    expect(bgNbdProbabilityOfPurchase(params, customer, 5)).toBeCloseTo(alive * (1 - (12 / 17) ** 1.5), 12);
  });

  it('P(buy in horizon) agrees with a simulation of the model', () => {
    // Simulate customers from one (lambda, p), condition on x = 0 in (0, T] and count buyers in (T, T + t]:
    // with x = 0 they are alive, so P = E[1 - e^(-λ t) | no purchase in T] over the Gamma prior.
    const random = mulberry32(3);
    let kept = 0;
    let bought = 0;
    for (let i = 0; i < 100_000; i += 1) {
      const lambda = gamma(params.r, random) / params.alpha;
      if (random() < Math.exp(-lambda * 10)) {
        kept += 1;
        if (random() < 1 - Math.exp(-lambda * 5)) bought += 1;
      }
    }
    expect(bought / kept).toBeCloseTo(bgNbdProbabilityOfPurchase(params, { frequency: 0, recency: 0, age: 10 }, 5), 2);
  });

  it('expected purchases for a new customer reduce to the paper’s E[X(t)]', () => {
    // With x = 0 and T -> 0 the conditional expectation is E[X(t)] (eq. 9); check it is positive,
    // grows with the horizon, and for t small is about r t / α (rate of an alive customer).
    const fresh = { frequency: 0, recency: 0, age: 1e-9 };
    const short = bgNbdExpectedPurchases(params, fresh, 0.01);
    expect(short).toBeCloseTo((params.r * 0.01) / params.alpha, 4);
    expect(bgNbdExpectedPurchases(params, fresh, 20)).toBeGreaterThan(bgNbdExpectedPurchases(params, fresh, 10));
  });

  it('refuses invalid parameters and histories', () => {
    expect(() => bgNbdProbabilityAlive({ ...params, a: 0 }, { frequency: 1, recency: 1, age: 2 })).toThrow(/parameter a must be > 0/);
    expect(() => fitBgNbd([{ frequency: 1, recency: 3, age: 2 }])).toThrow(/recency must be in \[0, age\]/);
    expect(() => fitBgNbd([])).toThrow(/at least one customer/);
  });
});

// Local bindings: global `Math.*` lookups are slow inside jest's sandbox and the samplers below loop a lot.
const { cos, log, sqrt, PI } = Math;

/** Marsaglia-Tsang gamma(shape, 1) sampler, with the shape < 1 boost. */
function gamma(shape: number, random: Random): number {
  if (shape < 1) return gamma(shape + 1, random) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box-Muller normal
      x = sqrt(-2 * log(1 - random())) * cos(2 * PI * random());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
  }
}

/** Draws (x, t_x, T) histories from the BG/NBD generative process. */
function simulate(truth: typeof params, customers: number, age: number, random: Random): RepeatPurchaseSummary[] {
  const histories: RepeatPurchaseSummary[] = [];
  for (let i = 0; i < customers; i += 1) {
    const lambda = gamma(truth.r, random) / truth.alpha;
    const ga = gamma(truth.a, random);
    const p = ga / (ga + gamma(truth.b, random));
    let time = 0;
    let x = 0;
    let last = 0;
    for (;;) {
      time += -log(1 - random()) / lambda;
      if (time > age) break;
      x += 1;
      last = time;
      if (random() < p) break; // drops out right after this purchase
    }
    histories.push({ frequency: x, recency: last, age });
  }
  return histories;
}

describe('fitBgNbd', () => {
  it('recovers the parameters of simulated customers', () => {
    const truth = { r: 0.8, alpha: 3, a: 0.9, b: 2.5 };
    const histories = simulate(truth, 3000, 40, mulberry32(11));
    const fit = fitBgNbd(histories);
    expect(fit.converged).toBe(true);
    // The fitted optimum beats the truth's likelihood (it is the maximum) and lands near it.
    const truthLl = histories.reduce((s, h) => s + bgNbdLogLikelihood(truth, h), 0);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(truthLl);
    expect(fit.params.r).toBeGreaterThan(0.6);
    expect(fit.params.r).toBeLessThan(1.05);
    expect(fit.params.alpha / fit.params.r).toBeCloseTo(truth.alpha / truth.r, 0);
    expect(fit.params.a / (fit.params.a + fit.params.b)).toBeGreaterThan(0.18);
    expect(fit.params.a / (fit.params.a + fit.params.b)).toBeLessThan(0.32);
  });
});
