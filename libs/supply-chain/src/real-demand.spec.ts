import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForecastBaseStockPolicy, rollingForecast } from './forecast-base-stock';
import { loadM5 } from './m5';
import { evaluateOnHistories, rollingForecasts, simulateHistory, trainRealDemandPolicy } from './real-demand';

describe('real demand', () => {
  it('rolling forecasts match the direct computation', () => {
    const demand = [0, 3, 1, 0, 0, 7, 2, 2, 5];
    const all = rollingForecasts(demand, 4);
    for (let t = 1; t <= demand.length; t += 1) {
      const direct = rollingForecast(demand, 4, t);
      expect(all.mean[t]).toBeCloseTo(direct.mean, 12);
      expect(all.std[t]).toBeCloseTo(direct.std, 12);
    }
  });

  it('simulates lost sales with a lead time and price-proportional costs', () => {
    // Order 2 every day, lead time 1, start with 1 unit; demand 3 each day at price 10.
    const policy = { name: 'fixed', version: '1', order: () => 2 };
    const costs = { leadTime: 1, holdingRate: 0.1, penaltyRate: 0.5 };
    const forecasts = rollingForecasts([3, 3, 3], 2);
    const out = simulateHistory({ demand: [3, 3, 3], price: 10 }, policy, costs, { start: 0, end: 3, forecasts, initialOnHand: 1 });
    // Day 0: 1 on hand, sells 1, loses 2. Days 1-2: 2 arrive, sell 2, lose 1.
    expect(out.sold).toBe(5);
    expect(out.demand).toBe(9);
    expect(out.cost).toBeCloseTo(10 * 0.5 * 4, 10);
    expect(out.stockDays).toBe(0);
  });

  it('reads the M5 layout and trains a policy no worse than the tuned base-stock on its selection days', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm5-'));
    const days = 140;
    const header = ['id', 'item_id', 'dept_id', 'cat_id', 'store_id', 'state_id', ...Array.from({ length: days }, (_, i) => `d_${i + 1}`)];
    const rows = [0, 1, 2].map((s) => [`I${s}_S_evaluation`, `I${s}`, 'D', 'C', 'S', 'X', ...Array.from({ length: days }, (_, t) => String(((t * (s + 3)) % 7) + (t % 5 === 0 ? 4 : 0)))]);
    writeFileSync(join(dir, 'sales_wide.csv'), [header, ...rows].map((r) => r.join(',')).join('\n'));
    writeFileSync(join(dir, 'calendar.csv'), ['d,date,wm_yr_wk', ...Array.from({ length: days }, (_, i) => `d_${i + 1},2011-01-01,${Math.floor(i / 7)}`)].join('\n'));
    writeFileSync(join(dir, 'sell_prices.csv'), ['store_id,item_id,wm_yr_wk,sell_price', ...[0, 1, 2].flatMap((s) => Array.from({ length: 20 }, (_, w) => `S,I${s},${w},${s + 1}.5`))].join('\n'));
    const { series } = loadM5(dir);
    expect(series).toHaveLength(3);
    expect(series[1].price[10]).toBe(2.5);
    const trained = await trainRealDemandPolicy(series, { seed: 1, range: { start: 0, end: 110 }, selectionDays: 40, states: 200, epochs: 3, grid: { windows: [7], safetyFactors: [0, 1, 2] } });
    expect(trained.selection.learned.cost).toBeLessThanOrEqual(trained.selection.baseStock.cost);
    expect(trained.selection.learned.fillRate).toBeGreaterThanOrEqual(trained.selection.baseStock.fillRate);
    const test = evaluateOnHistories(series, new ForecastBaseStockPolicy(trained.baseStock.params), trained.baseStock.params, trained.costs, { start: 110, end: days });
    expect(test.perSeries).toHaveLength(3);
    expect(test.fillRate).toBeGreaterThan(0);
    expect(() => loadM5(join(dir, 'missing'))).toThrow('missing M5 file');
  }, 60_000);
});
