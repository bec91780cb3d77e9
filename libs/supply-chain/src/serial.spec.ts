import { poissonDemand } from './demand';
import { EchelonBaseStockPolicy, SerialSystem, optimalEchelonBaseStock, simulateSerial } from './serial';

const example61 = { leadTimes: [1, 1, 2], holdingCosts: [7, 4, 2], stockoutCost: 37.12 };

describe('serial system (Snyder & Shen Example 6.1)', () => {
  it('the exact recursion gives the published optimum (9, 15, 26) and 72.04', () => {
    const solution = optimalEchelonBaseStock(example61, 5);
    expect(solution.levels).toEqual([9, 15, 26]);
    expect(Math.abs(solution.cost - 72.04)).toBeLessThan(0.01);
  });

  it('simulating echelon base-stock (9, 15, 26) reproduces 72.04 within simulation error', () => {
    const result = simulateSerial(example61, new EchelonBaseStockPolicy([9, 15, 26]), poissonDemand(5), { periods: 200_000, seed: 3 });
    expect(Math.abs(result.averageCost - 72.04)).toBeLessThan(4 * result.standardError);
    expect(result.standardError).toBeLessThan(0.3);
    const worse = simulateSerial(example61, new EchelonBaseStockPolicy([7, 15, 26]), poissonDemand(5), { periods: 50_000, seed: 3 });
    expect(worse.averageCost).toBeGreaterThan(72.04 + 1);
  });

  it('shipments take L periods, upstream shortages are owed, in-transit stock is charged upstream', () => {
    const system = new SerialSystem({ leadTimes: [1, 2], holdingCosts: [3, 1], stockoutCost: 10 }, [0, 2]);
    system.receiveAndDemand(0);
    // Stage 0 orders 5: stage 1 ships its 2 and owes 3; stage 1 orders 4 from outside.
    const cost = system.orderAndCost([5, 4]);
    expect(system.owed[0]).toBe(3);
    expect(system.onHand).toEqual([0, 0]);
    expect(cost).toBe(1 * 2); // 2 units in transit into stage 0 at stage 1's rate; outside shipments free
    system.receiveAndDemand(1);
    expect(system.onHand[0]).toBe(1);
  });

  it('validates its configuration', () => {
    expect(() => optimalEchelonBaseStock({ leadTimes: [1, 0], holdingCosts: [2, 1], stockoutCost: 1 }, 5)).toThrow('leadTimes[1]');
    expect(() => new SerialSystem({ leadTimes: [1], holdingCosts: [1, 2], stockoutCost: 1 })).toThrow('one entry per stage');
  });
});
