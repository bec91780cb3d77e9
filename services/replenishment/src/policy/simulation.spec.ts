import { ForecastBaseStockPolicy, type OrderPolicy, type RealDemandCosts } from '@storeloop/supply-chain';
import { replayPolicies, type PolicyDay, type PolicyReplay } from './simulation';

const DAY_MS = 86_400_000;
const costs: RealDemandCosts = { leadTime: 2, holdingRate: 1, penaltyRate: 9 };
const baseStock = new ForecastBaseStockPolicy({ leadTime: 2, window: 7, safetyFactor: 1 });
/** Irregular demand with zero days and a spike: every branch of the balance (stock-outs, leftovers) is hit. */
const history = [3, 5, 0, 4, 6, 2, 8, 1, 0, 7, 3, 12, 0, 4, 5, 2, 9, 3, 0, 6, 4, 4, 1, 10, 2, 3, 0, 5];
const constantOrder = (units: number): OrderPolicy => ({ name: 'constant', version: String(units), order: () => units });

/**
 * Checks one policy's days against the lost-sales balance, computed here
 * independently: end stock = previous end stock + the order placed lead-time
 * days before - units sold, sold = min(stock, demand). Answers the cost
 * (holding + penalty per unit lost) and the fill rate of those days.
 */
function checkBalance(replay: PolicyReplay, days: PolicyDay[], demand: number[], leadTime: number): { cost: number; fillRate: number } {
  let previous = replay.initialOnHand;
  let cost = 0;
  let sold = 0;
  days.forEach((today, t) => {
    const received = leadTime === 0 ? today.order : t >= leadTime ? days[t - leadTime].order : 0;
    const stock = previous + received;
    const sales = Math.min(stock, demand[t]);
    expect(today.onHand).toBe(stock - sales);
    expect(today.onHand).toBeGreaterThanOrEqual(0);
    cost += costs.holdingRate * today.onHand + costs.penaltyRate * (demand[t] - sales);
    sold += sales;
    previous = today.onHand;
  });
  const demanded = demand.reduce((a, b) => a + b, 0);
  return { cost, fillRate: demanded > 0 ? sold / demanded : 1 };
}

describe('replayPolicies', () => {
  const lastDayMs = Date.UTC(2026, 10, 27);

  it('replays the last days of the history for both policies from the same stock, and the balance and costs hold each day', () => {
    const replay = replayPolicies({ history, days: 14, costs, baseStock, learned: constantOrder(4), lastDayMs });
    const demand = history.slice(-14);
    expect(replay.days).toBe(14);
    expect(replay.series.map((d) => d.demand)).toEqual(demand);
    expect(replay.series.map((d) => d.day)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(replay.series[13].date).toBe('2026-11-27');
    expect(replay.series[0].date).toBe(new Date(lastDayMs - 13 * DAY_MS).toISOString().slice(0, 10));
    // Base-stock level on the first replayed day: 3 days of cover at the 7-day mean plus one std over sqrt(3) days.
    const window = history.slice(-21, -14);
    const mean = window.reduce((a, b) => a + b, 0) / 7;
    const std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / 7);
    expect(replay.initialOnHand).toBe(Math.round(3 * mean + std * Math.sqrt(3)));

    expect(replay.series.every((d) => d.learned.order === 4)).toBe(true);
    const learned = checkBalance(replay, replay.series.map((d) => d.learned), demand, costs.leadTime);
    const classical = checkBalance(replay, replay.series.map((d) => d.baseStock), demand, costs.leadTime);
    expect(replay.totals.learned.cost).toBeCloseTo(learned.cost, 9);
    expect(replay.totals.learned.fillRate).toBeCloseTo(learned.fillRate, 12);
    expect(replay.totals.learned.fallbackDays).toBe(0);
    expect(replay.totals.baseStock.cost).toBeCloseTo(classical.cost, 9);
    expect(replay.totals.baseStock.fillRate).toBeCloseTo(classical.fillRate, 12);
    // The two runs are different policies on the same demand.
    expect(replay.series.map((d) => d.baseStock.order)).not.toEqual(replay.series.map((d) => d.learned.order));
  });

  it('is deterministic, and replays the whole history when it is shorter than the days asked', () => {
    const input = { history, days: 365, costs, baseStock, learned: constantOrder(5) };
    const replay = replayPolicies(input);
    expect(replay).toEqual(replayPolicies(input));
    expect(replay.days).toBe(history.length);
    expect(replay.series[0].date).toBeUndefined();
    // No forecast before the first day: the common starting stock is empty.
    expect(replay.initialOnHand).toBe(0);
    const demand = [...history];
    expect(replay.totals.baseStock.cost).toBeCloseTo(checkBalance(replay, replay.series.map((d) => d.baseStock), demand, 2).cost, 9);
    expect(replay.totals.learned.cost).toBeCloseTo(checkBalance(replay, replay.series.map((d) => d.learned), demand, 2).cost, 9);
  });

  it('puts an order on the shelf the same day with no lead time', () => {
    const immediate = { ...costs, leadTime: 0 };
    const replay = replayPolicies({ history, days: 10, costs: immediate, baseStock: new ForecastBaseStockPolicy({ leadTime: 0, window: 7, safetyFactor: 0.5 }), learned: constantOrder(3) });
    const demand = history.slice(-10);
    expect(replay.totals.learned.cost).toBeCloseTo(checkBalance(replay, replay.series.map((d) => d.learned), demand, 0).cost, 9);
    expect(replay.totals.baseStock.cost).toBeCloseTo(checkBalance(replay, replay.series.map((d) => d.baseStock), demand, 0).cost, 9);
  });

  it('orders what the base-stock policy orders on days the learned policy answers nonsense, as the service does', () => {
    let calls = 0;
    const flaky: OrderPolicy = {
      name: 'flaky',
      version: '1',
      order: () => {
        calls += 1;
        if (calls % 3 === 0) throw new Error('bad state');
        return calls % 3 === 1 ? Number.NaN : -1;
      },
    };
    const replay = replayPolicies({ history, days: 12, costs, baseStock, learned: flaky });
    expect(replay.totals.learned.fallbackDays).toBe(12);
    expect(replay.series.map((d) => d.learned)).toEqual(replay.series.map((d) => d.baseStock));
    expect(replay.totals.learned).toEqual({ ...replay.totals.baseStock, fallbackDays: 12 });
  });
});
