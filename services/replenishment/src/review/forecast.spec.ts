import { forecastFromDailySales, salesHistory } from './forecast';

describe('demand forecast from daily sales', () => {
  it('leaves out the days before the first sale and today, which is not over', () => {
    expect(salesHistory([0, 0, 3, 0, 5, 99])).toEqual([3, 0, 5]);
    expect(salesHistory([0, 0, 7])).toEqual([]);
  });

  it('is the rolling mean and deviation of the last window days', () => {
    const forecast = forecastFromDailySales([0, 100, 4, 6, 4, 6, 1], 4);
    expect(forecast.mean).toBeCloseTo(5, 10);
    expect(forecast.std).toBeCloseTo(1, 10);
    expect(forecast.historyDays).toBe(5);
  });

  it('is zero without sales', () => {
    expect(forecastFromDailySales(new Array(400).fill(0), 28)).toEqual({ mean: 0, std: 0, historyDays: 0 });
  });
});
