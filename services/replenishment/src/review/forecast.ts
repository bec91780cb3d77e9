import { rollingForecast } from '@storeloop/supply-chain';
import type { DemandForecast } from './inventory-state';

/**
 * The daily demand forecast of a pair from the feature store's daily units
 * sold (oldest first; the last entry is today so far and is left out): the
 * rolling mean and standard deviation of the last `windowDays` completed
 * days since the first sale, the same statistic the classical policy is
 * tuned with and the learned policy is trained on.
 */
export function forecastFromDailySales(dailyUnitsSold: readonly number[], windowDays: number): DemandForecast & { historyDays: number } {
  const history = salesHistory(dailyUnitsSold);
  if (history.length === 0) return { mean: 0, std: 0, historyDays: 0 };
  return { ...rollingForecast(history, windowDays), historyDays: history.length };
}

/** Completed days of sales since the first sale (the training history of a pair). */
export function salesHistory(dailyUnitsSold: readonly number[]): number[] {
  const completed = dailyUnitsSold.slice(0, -1);
  const first = completed.findIndex((units) => units > 0);
  return first < 0 ? [] : completed.slice(first);
}
