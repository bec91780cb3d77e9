import { demandPath, poissonDemand, poissonPmf } from './demand';
import { BaseStockPolicy } from './classical';
import { simulateSingleStage } from './single-stage';

/**
 * Independent exact cost of a lost-sales base-stock policy with Poisson demand
 * and lead time 1 or 2, from the stationary distribution of the Markov chain
 * on (on hand after receipt, pipeline), by power iteration.
 */
function exactLostSalesBaseStock(level: number, leadTime: 1 | 2, mean: number, h: number, p: number): number {
  const maxD = 60;
  const pmf = poissonPmf(mean, maxD);
  const key = (x: number, y: number) => x * 1000 + y;
  let dist = new Map<number, number>([[key(level, 0), 1]]);
  const transitions = (x: number, y: number, visit: (x2: number, y2: number, prob: number, cost: number) => void) => {
    const q = Math.max(level - x - y, 0);
    for (let d = 0; d <= maxD; d += 1) {
      const left = Math.max(x - d, 0);
      const cost = h * left + p * Math.max(d - x, 0);
      if (leadTime === 1) visit(left + q, 0, pmf[d], cost);
      else visit(left + y, q, pmf[d], cost);
    }
  };
  for (let iteration = 0; iteration < 400; iteration += 1) {
    const next = new Map<number, number>();
    for (const [k, w] of dist) {
      transitions(Math.floor(k / 1000), k % 1000, (x2, y2, prob) => next.set(key(x2, y2), (next.get(key(x2, y2)) ?? 0) + w * prob));
    }
    dist = next;
  }
  let cost = 0;
  for (const [k, w] of dist) transitions(Math.floor(k / 1000), k % 1000, (_x, _y, prob, c) => (cost += w * prob * c));
  return cost;
}

describe('single-stage simulator', () => {
  const demand = poissonDemand(5);
  const path = demandPath(demand, 200_000, 42);

  it.each([
    [4, 1, 12],
    [9, 1, 13],
    [19, 2, 21],
    [39, 2, 22],
  ] as const)('lost sales p=%p L=%p base-stock S=%p matches the exact Markov-chain cost', (p, L, S) => {
    const exact = exactLostSalesBaseStock(S, L, 5, 1, p);
    const simulated = simulateSingleStage({ leadTime: L, holdingCost: 1, penaltyCost: p, lostSales: true }, new BaseStockPolicy(S), path);
    expect(Math.abs(simulated.averageCost - exact)).toBeLessThan(4 * simulated.standardError);
    expect(simulated.standardError / exact).toBeLessThan(0.01);
  });

  it('reproduces Zipkin (2008): the best base-stock is above the optimum, by about 3% at p=4, L=1', () => {
    // Zipkin's optimal 4.04; the exact cost of the best base-stock (S = 12) is 4.16.
    const costs = [11, 12, 13].map((S) => exactLostSalesBaseStock(S, 1, 5, 1, 4));
    expect(Math.min(...costs)).toBe(costs[1]);
    expect(costs[1]).toBeGreaterThan(4.04);
    expect(costs[1]).toBeCloseTo(4.16, 1);
  });

  it('backorders: base-stock cost equals the newsvendor expectation over L + 1 periods', () => {
    const S = 17;
    const L = 2;
    const pmf = poissonPmf(15, 80);
    let exact = 0;
    pmf.forEach((pr, d) => (exact += pr * (d <= S ? 1 * (S - d) : 9 * (d - S))));
    const simulated = simulateSingleStage({ leadTime: L, holdingCost: 1, penaltyCost: 9, lostSales: false }, new BaseStockPolicy(S), path);
    expect(Math.abs(simulated.averageCost - exact)).toBeLessThan(4 * simulated.standardError);
  });

  it('charges fixed and unit order costs and respects the capacity', () => {
    const config = { leadTime: 1, holdingCost: 0, penaltyCost: 0, lostSales: true, fixedOrderCost: 10, unitOrderCost: 2, capacity: 3 };
    const result = simulateSingleStage(config, { name: 'always', version: '1', order: () => 5 }, new Float64Array(101).fill(0), { warmup: 1 });
    expect(result.averageCost).toBeCloseTo(10 + 2 * 3, 10);
    expect(result.averageOnHand).toBeGreaterThan(100); // 3 units arrive each period, nothing is sold
  });

  it('orders placed at the start of period t serve demand from t + L', () => {
    const seen: number[] = [];
    const policy = { name: 'probe', version: '1', order: (s: { onHand: number }) => (seen.push(s.onHand), seen.length === 1 ? 4 : 0) };
    simulateSingleStage({ leadTime: 2, holdingCost: 1, penaltyCost: 1, lostSales: true }, policy, new Float64Array(6).fill(0), { warmup: 0 });
    expect(seen).toEqual([0, 0, 4, 4, 4, 4]);
  });

  it('rejects invalid configurations', () => {
    expect(() => simulateSingleStage({ leadTime: -1, holdingCost: 1, penaltyCost: 1, lostSales: true }, new BaseStockPolicy(1), path)).toThrow('leadTime');
    expect(() => simulateSingleStage({ leadTime: 1, holdingCost: 1, penaltyCost: 1, lostSales: true }, new BaseStockPolicy(1), new Float64Array(10), { warmup: 10 })).toThrow('more than 10');
  });
});
