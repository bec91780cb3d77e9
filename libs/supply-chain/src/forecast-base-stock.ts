/**
 * Base-stock driven by a demand forecast, for real (non-stationary) demand:
 * each review period the order-up-to level is recomputed from a rolling mean
 * and standard deviation of recent daily demand,
 *
 *   S_t = (L + R)·mean_t + z·std_t·sqrt(L + R),
 *
 * where L is the lead time and R the review period (1 = daily). z is a
 * safety factor: by default Φ⁻¹(p / (p + h)); tuneForecastBaseStock (real-demand.ts)
 * picks it and the window by simulation on training days.
 */
import type { InventoryState, OrderPolicy } from './policy';
import { SupplyChainInputError, requireNonNegative, requirePositiveInteger } from './errors';
import { inventoryPosition, normalQuantile } from './classical';

export interface ForecastBaseStockParams {
  leadTime: number;
  /** Periods between reviews (default 1). */
  reviewPeriod?: number;
  /** Safety factor on the forecast std over L + R periods. */
  safetyFactor: number;
  /** Rolling window (periods) the mean and std are computed over; stored so callers compute features the same way. */
  window: number;
}

export interface DemandForecast {
  mean: number;
  std: number;
}

/** Mean and (population) standard deviation of the last `window` values of `history` (fewer when shorter). */
export function rollingForecast(history: ArrayLike<number>, window: number, end = history.length): DemandForecast {
  requirePositiveInteger('window', window);
  const start = Math.max(0, end - window);
  const n = end - start;
  if (n <= 0) return { mean: 0, std: 0 };
  let sum = 0;
  let sumSq = 0;
  for (let i = start; i < end; i += 1) {
    sum += history[i];
    sumSq += history[i] * history[i];
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sumSq / n - mean * mean, 0)) };
}

/** The safety factor the newsvendor ratio suggests: Φ⁻¹(p / (p + h)). */
export function defaultSafetyFactor(holdingCost: number, penaltyCost: number): number {
  requireNonNegative('holdingCost', holdingCost);
  requireNonNegative('penaltyCost', penaltyCost);
  return normalQuantile(Math.min(Math.max(penaltyCost / (penaltyCost + holdingCost), 1e-6), 1 - 1e-6));
}

/** Order-up-to level for one forecast. */
export function forecastOrderUpTo(forecast: DemandForecast, params: ForecastBaseStockParams): number {
  const cover = params.leadTime + (params.reviewPeriod ?? 1);
  return cover * forecast.mean + params.safetyFactor * forecast.std * Math.sqrt(cover);
}

/**
 * Units to order now under the forecast base-stock: round(max(S_t - IP, 0)).
 * This is the classical policy the replenishment service publishes beside the learned one.
 */
export function baseStockForForecast(state: InventoryState, params: ForecastBaseStockParams): number {
  if (state.demandMean === undefined || state.demandStd === undefined) {
    throw new SupplyChainInputError('baseStockForForecast needs state.demandMean and state.demandStd (a rolling forecast)');
  }
  const level = forecastOrderUpTo({ mean: state.demandMean, std: state.demandStd }, params);
  return Math.max(Math.round(level - inventoryPosition(state)), 0);
}

/** The forecast base-stock as an OrderPolicy (reads demandMean/demandStd from the state). */
export class ForecastBaseStockPolicy implements OrderPolicy {
  readonly name = 'forecast-base-stock';
  readonly version: string;
  constructor(readonly params: ForecastBaseStockParams) {
    requirePositiveInteger('leadTime', params.leadTime, true);
    requirePositiveInteger('window', params.window);
    if (!Number.isFinite(params.safetyFactor)) throw new SupplyChainInputError(`safetyFactor must be finite, got ${params.safetyFactor}`);
    this.version = `w=${params.window},z=${params.safetyFactor.toFixed(3)},L=${params.leadTime}`;
  }
  order(state: InventoryState): number {
    return baseStockForForecast(state, this.params);
  }
}
