/**
 * Single-stage periodic-review inventory simulator.
 *
 * Timing of period t (matches Zipkin 2008 for lost sales):
 *   1. the order placed at the start of period t - L arrives and joins on-hand stock;
 *   2. the policy sees on-hand stock and the L - 1 orders still in transit and
 *      places an order (capped at `capacity`), which arrives at the start of
 *      period t + L and serves demand from period t + L on (L = 0: at once);
 *   3. demand D_t arrives: with lost sales, sales = min(on-hand, D_t) and the
 *      rest is lost; with backorders, on-hand goes negative;
 *   4. costs at the end of the period: holding h per unit left on hand, penalty
 *      p per unit lost (lost sales) or per unit backordered at period end
 *      (backorders), fixed cost K per positive order, c per unit ordered.
 */
import type { InventoryState, OrderPolicy } from './policy';
import { SupplyChainInputError, requireNonNegative, requirePositiveInteger } from './errors';

export interface SingleStageConfig {
  /** Periods between placing an order and using it (see the timing above). */
  leadTime: number;
  holdingCost: number;
  /** Per unit lost (lost sales) or per unit backordered per period (backorders). */
  penaltyCost: number;
  /** true: unmet demand is lost (B1); false: it is backordered. */
  lostSales: boolean;
  fixedOrderCost?: number;
  unitOrderCost?: number;
  /** Most units one order may carry (default unlimited). */
  capacity?: number;
}

export interface SimulationResult {
  /** Mean cost per period after the warm-up. */
  averageCost: number;
  /** Standard error of averageCost by batch means (30 batches). */
  standardError: number;
  /** Units sold / units demanded (immediately filled demand for backorders). */
  fillRate: number;
  /** Mean on-hand stock at period end (positive part). */
  averageOnHand: number;
  periods: number;
}

export function validateSingleStage(config: SingleStageConfig): void {
  requirePositiveInteger('leadTime', config.leadTime, true);
  requireNonNegative('holdingCost', config.holdingCost);
  requireNonNegative('penaltyCost', config.penaltyCost);
  if (config.fixedOrderCost !== undefined) requireNonNegative('fixedOrderCost', config.fixedOrderCost);
  if (config.unitOrderCost !== undefined) requireNonNegative('unitOrderCost', config.unitOrderCost);
  if (config.capacity !== undefined) requireNonNegative('capacity', config.capacity);
}

/** Batch-means standard error of the mean of `values` (independent-ish batches of a long run). */
export function batchMeansStandardError(values: Float64Array, batches = 30): number {
  const size = Math.floor(values.length / batches);
  if (size < 1) return Number.NaN;
  const means: number[] = [];
  for (let b = 0; b < batches; b += 1) {
    let sum = 0;
    for (let i = b * size; i < (b + 1) * size; i += 1) sum += values[i];
    means.push(sum / size);
  }
  const mean = means.reduce((s, v) => s + v, 0) / batches;
  const variance = means.reduce((s, v) => s + (v - mean) ** 2, 0) / (batches - 1);
  return Math.sqrt(variance / batches);
}

/**
 * Runs `policy` against the demand path `demands` (common random numbers:
 * pass the same path to every policy compared). The first `warmup` periods
 * are simulated but not counted. Starts with `initialOnHand` units (default:
 * the first order-up-to guess, mean demand over L + 1 periods) and an empty pipeline.
 */
export function simulateSingleStage(
  config: SingleStageConfig,
  policy: OrderPolicy,
  demands: ArrayLike<number>,
  options: { warmup?: number; initialOnHand?: number } = {},
): SimulationResult {
  validateSingleStage(config);
  const L = config.leadTime;
  const warmup = options.warmup ?? Math.min(1000, Math.floor(demands.length / 10));
  if (demands.length <= warmup) throw new SupplyChainInputError(`need more than ${warmup} demand periods, got ${demands.length}`);
  const capacity = config.capacity ?? Number.POSITIVE_INFINITY;
  const fixed = config.fixedOrderCost ?? 0;
  const unit = config.unitOrderCost ?? 0;
  const { holdingCost: h, penaltyCost: p, lostSales } = config;
  let onHand = options.initialOnHand ?? 0;
  // inTransit[i] arrives i + 1 periods from now (before this period's receipt: slot 0 arrives now).
  const inTransit = new Float64Array(Math.max(L, 1));
  const pipeline: number[] = new Array(Math.max(L - 1, 0)).fill(0);
  const state: InventoryState = { onHand: 0, pipeline };
  const costs = new Float64Array(demands.length - warmup);
  let demanded = 0;
  let sold = 0;
  let onHandSum = 0;
  for (let t = 0; t < demands.length; t += 1) {
    if (L > 0) {
      onHand += inTransit[0];
      for (let i = 0; i < L - 1; i += 1) {
        inTransit[i] = inTransit[i + 1];
        pipeline[i] = inTransit[i];
      }
      inTransit[L - 1] = 0;
    }
    state.onHand = onHand;
    const q = Math.min(Math.max(0, policy.order(state)), capacity);
    if (L > 0) inTransit[L - 1] = q;
    else onHand += q;
    const d = demands[t];
    let cost = q > 0 ? fixed + unit * q : 0;
    let filled: number;
    if (lostSales) {
      filled = Math.min(Math.max(onHand, 0), d);
      onHand -= filled;
      cost += h * onHand + p * (d - filled);
    } else {
      filled = Math.min(Math.max(onHand, 0), d);
      onHand -= d;
      cost += onHand >= 0 ? h * onHand : -p * onHand;
    }
    if (t >= warmup) {
      costs[t - warmup] = cost;
      demanded += d;
      sold += filled;
      onHandSum += Math.max(onHand, 0);
    }
  }
  let total = 0;
  for (let i = 0; i < costs.length; i += 1) total += costs[i];
  return {
    averageCost: total / costs.length,
    standardError: batchMeansStandardError(costs),
    fillRate: demanded > 0 ? sold / demanded : 1,
    averageOnHand: onHandSum / costs.length,
    periods: costs.length,
  };
}
