import { BaseStockPolicy, CappedBaseStockPolicy, SSPolicy, newsvendorNormal, newsvendorPoisson, normalQuantile, optimalBackorderBaseStock, searchBaseStock, searchCappedBaseStock, searchSS, simulatedCost } from './classical';
import { demandPath, poissonDemand } from './demand';
import { ForecastBaseStockPolicy, baseStockForForecast, rollingForecast } from './forecast-base-stock';

describe('newsvendor', () => {
  it('normal closed form: mean + z·std with Φ(z) = cu / (cu + co)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(newsvendorNormal(100, 20, 4, 1)).toBeCloseTo(100 + 20 * 0.841621, 4);
    expect(newsvendorNormal(100, 20, 1, 1)).toBeCloseTo(100, 8);
  });

  it('Poisson: the smallest q with P(D <= q) >= ratio', () => {
    // Poisson(5): P(D <= 6) = 0.7622, P(D <= 7) = 0.8666.
    expect(newsvendorPoisson(5, 8, 2)).toBe(7);
    expect(newsvendorPoisson(5, 3, 1)).toBe(6);
    expect(() => newsvendorPoisson(5, 0, 0)).toThrow('both be zero');
  });

  it('the backorder base-stock formula is the newsvendor over L + 1 periods, and refuses lost sales', () => {
    expect(optimalBackorderBaseStock({ leadTime: 2, holdingCost: 1, penaltyCost: 9, lostSales: false }, poissonDemand(5))).toBe(newsvendorPoisson(15, 9, 1));
    expect(() => optimalBackorderBaseStock({ leadTime: 2, holdingCost: 1, penaltyCost: 9, lostSales: true }, poissonDemand(5))).toThrow('lost sales');
  });
});

describe('order policies', () => {
  const state = (onHand: number, pipeline: number[] = []) => ({ onHand, pipeline });
  it('base-stock orders up to S on the inventory position, never negative', () => {
    expect(new BaseStockPolicy(20).order(state(5, [3, 4]))).toBe(8);
    expect(new BaseStockPolicy(20).order(state(25))).toBe(0);
    expect(new BaseStockPolicy(20).order(state(-4))).toBe(24);
  });
  it('capped base-stock caps the order at r', () => {
    expect(new CappedBaseStockPolicy(20, 6).order(state(5, [3]))).toBe(6);
    expect(new CappedBaseStockPolicy(20, 6).order(state(17))).toBe(3);
    expect(new CappedBaseStockPolicy(20, 6).order(state(30))).toBe(0);
  });
  it('(s, S) orders only below s', () => {
    expect(new SSPolicy(5, 20).order(state(4))).toBe(16);
    expect(new SSPolicy(5, 20).order(state(5))).toBe(0);
    expect(() => new SSPolicy(10, 5)).toThrow('S >= s');
  });
  it('forecast base-stock: S = (L + 1)·mean + z·std·sqrt(L + 1), and needs a forecast', () => {
    const params = { leadTime: 2, window: 28, safetyFactor: 1 };
    expect(baseStockForForecast({ onHand: 3, pipeline: [2], demandMean: 4, demandStd: 2 }, params)).toBe(Math.round(12 + 2 * Math.sqrt(3) - 5));
    expect(() => new ForecastBaseStockPolicy(params).order({ onHand: 3, pipeline: [2] })).toThrow('demandMean');
    expect(rollingForecast([1, 2, 3, 4, 10], 4)).toEqual({ mean: 4.75, std: Math.sqrt((2.75 ** 2 + 1.75 ** 2 + 0.75 ** 2 + 5.25 ** 2) / 4) });
  });
});

describe('searches on common random numbers', () => {
  const path = demandPath(poissonDemand(5), 20_000, 5);
  it('capped base-stock beats base-stock with lost sales and a long lead time', () => {
    const cost = simulatedCost({ leadTime: 4, holdingCost: 1, penaltyCost: 4, lostSales: true }, path);
    const bs = searchBaseStock(cost, 25);
    const cbs = searchCappedBaseStock(cost, 5, bs.policy.level);
    expect(cbs.cost).toBeLessThan(bs.cost * 0.95);
    expect(cost(new BaseStockPolicy(bs.policy.level + 2))).toBeGreaterThan(bs.cost);
  });
  it('(s, S) search finds a policy no worse than base-stock when orders carry a fixed cost', () => {
    const cost = simulatedCost({ leadTime: 1, holdingCost: 1, penaltyCost: 9, lostSales: false, fixedOrderCost: 40 }, path);
    const bs = searchBaseStock(cost, 10);
    const ss = searchSS(cost, 8, 60);
    expect(ss.policy.orderUpTo - ss.policy.reorderPoint).toBeGreaterThan(3);
    expect(ss.cost).toBeLessThan(bs.cost);
  });
});
