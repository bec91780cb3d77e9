/**
 * Classical order policies and their tuning: newsvendor (closed form),
 * base-stock (closed form where it is optimal: backorders, no fixed cost),
 * capped base-stock (Xin 2021), (s, S), and simulation-based searches over
 * their parameters on common random numbers where no formula is optimal
 * (lost sales, fixed costs).
 */
import type { InventoryState, OrderPolicy } from './policy';
import { SupplyChainInputError, requireNonNegative } from './errors';
import { type DemandModel, poissonPmf, poissonSupport } from './demand';
import { type SingleStageConfig, simulateSingleStage } from './single-stage';

export function inventoryPosition(state: InventoryState): number {
  let position = state.onHand;
  for (const q of state.pipeline) position += q;
  return position;
}

/** Inverse standard normal cdf (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new SupplyChainInputError(`normal quantile needs 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Newsvendor critical ratio cu / (cu + co): the optimal probability of not stocking out. */
export function criticalRatio(underageCost: number, overageCost: number): number {
  requireNonNegative('underageCost', underageCost);
  requireNonNegative('overageCost', overageCost);
  if (underageCost + overageCost === 0) throw new SupplyChainInputError('underage and overage costs cannot both be zero');
  return underageCost / (underageCost + overageCost);
}

/** Optimal newsvendor quantity for normal demand: mean + z·std with Φ(z) = cu / (cu + co). */
export function newsvendorNormal(mean: number, std: number, underageCost: number, overageCost: number): number {
  const ratio = criticalRatio(underageCost, overageCost);
  if (ratio === 0) return 0;
  if (ratio === 1) return Number.POSITIVE_INFINITY;
  return mean + std * normalQuantile(ratio);
}

/** Optimal newsvendor quantity for Poisson demand: the smallest q with P(D <= q) >= cu / (cu + co). */
export function newsvendorPoisson(mean: number, underageCost: number, overageCost: number): number {
  const ratio = criticalRatio(underageCost, overageCost);
  const maxK = poissonSupport(mean, 1e-15) + 1;
  const pmf = poissonPmf(mean, maxK);
  let cdf = 0;
  for (let q = 0; q <= maxK; q += 1) {
    cdf += pmf[q];
    if (cdf >= ratio - 1e-12) return q;
  }
  return maxK;
}

/** Order up to S: q = max(S - inventory position, 0). */
export class BaseStockPolicy implements OrderPolicy {
  readonly name = 'base-stock';
  readonly version: string;
  constructor(readonly level: number) {
    this.version = `S=${level}`;
  }
  order(state: InventoryState): number {
    return Math.max(this.level - inventoryPosition(state), 0);
  }
}

/** Capped base-stock (Xin 2021): q = min(max(S - inventory position, 0), r). */
export class CappedBaseStockPolicy implements OrderPolicy {
  readonly name = 'capped-base-stock';
  readonly version: string;
  constructor(
    readonly level: number,
    readonly cap: number,
  ) {
    this.version = `S=${level},r=${cap}`;
  }
  order(state: InventoryState): number {
    return Math.min(Math.max(this.level - inventoryPosition(state), 0), this.cap);
  }
}

/** (s, S): when the inventory position is below s, order up to S; otherwise nothing. */
export class SSPolicy implements OrderPolicy {
  readonly name = 's-S';
  readonly version: string;
  constructor(
    readonly reorderPoint: number,
    readonly orderUpTo: number,
  ) {
    if (orderUpTo < reorderPoint) throw new SupplyChainInputError(`(s, S) needs S >= s, got s=${reorderPoint}, S=${orderUpTo}`);
    this.version = `s=${reorderPoint},S=${orderUpTo}`;
  }
  order(state: InventoryState): number {
    const position = inventoryPosition(state);
    return position < this.reorderPoint ? this.orderUpTo - position : 0;
  }
}

/**
 * Optimal base-stock level with backorders, no fixed cost and Poisson or
 * normal demand: the newsvendor quantile of demand over L + 1 periods with
 * critical ratio p / (p + h). Exact (optimal) in that setting.
 */
export function optimalBackorderBaseStock(config: SingleStageConfig, demand: DemandModel): number {
  if (config.lostSales) throw new SupplyChainInputError('the base-stock formula is optimal with backorders only; use searchBaseStock for lost sales');
  const periods = config.leadTime + 1;
  if (demand.kind === 'poisson') return newsvendorPoisson(demand.mean * periods, config.penaltyCost, config.holdingCost);
  return Math.ceil(newsvendorNormal(demand.mean * periods, demand.std * Math.sqrt(periods), config.penaltyCost, config.holdingCost));
}

export interface SearchResult<P extends OrderPolicy> {
  policy: P;
  cost: number;
  evaluations: number;
}

/** Cost of a policy on a common-random-numbers demand path. */
export type PolicyCost = (policy: OrderPolicy) => number;

export function simulatedCost(config: SingleStageConfig, demands: ArrayLike<number>, warmup?: number): PolicyCost {
  return (policy) => simulateSingleStage(config, policy, demands, { warmup }).averageCost;
}

/**
 * Integer search of a cost that is unimodal in one parameter (up to noise):
 * walks from `start` in the improving direction until `patience` steps give
 * no improvement.
 */
function lineSearch(cost: (x: number) => number, start: number, min: number, max: number, patience = 3): { x: number; cost: number; evaluations: number } {
  const cache = new Map<number, number>();
  const f = (x: number) => {
    let v = cache.get(x);
    if (v === undefined) {
      v = cost(x);
      cache.set(x, v);
    }
    return v;
  };
  let best = Math.min(Math.max(start, min), max);
  let bestCost = f(best);
  for (const direction of [1, -1]) {
    let misses = 0;
    for (let x = best + direction; x >= min && x <= max && misses < patience; x += direction) {
      const c = f(x);
      if (c < bestCost) {
        best = x;
        bestCost = c;
        misses = 0;
      } else misses += 1;
    }
  }
  return { x: best, cost: bestCost, evaluations: cache.size };
}

/** Best base-stock level by simulation (lost sales, where no formula is optimal). */
export function searchBaseStock(cost: PolicyCost, start: number, maxLevel = start * 4 + 50): SearchResult<BaseStockPolicy> {
  const found = lineSearch((s) => cost(new BaseStockPolicy(s)), Math.round(start), 0, maxLevel);
  return { policy: new BaseStockPolicy(found.x), cost: found.cost, evaluations: found.evaluations };
}

/** Best capped base-stock (S, r) by simulation: a line search over S for each cap r. */
export function searchCappedBaseStock(cost: PolicyCost, meanDemand: number, startLevel: number, maxCap = Math.ceil(meanDemand * 3 + 10)): SearchResult<CappedBaseStockPolicy> {
  let best: SearchResult<CappedBaseStockPolicy> | undefined;
  let level = Math.round(startLevel);
  let evaluations = 0;
  let misses = 0;
  for (let cap = Math.max(1, Math.floor(meanDemand)); cap <= maxCap && misses < 4; cap += 1) {
    const found = lineSearch((s) => cost(new CappedBaseStockPolicy(s, cap)), level, 0, Math.max(level * 4 + 50, 100));
    evaluations += found.evaluations;
    if (!best || found.cost < best.cost) {
      best = { policy: new CappedBaseStockPolicy(found.x, cap), cost: found.cost, evaluations: 0 };
      misses = 0;
    } else misses += 1;
    level = found.x;
  }
  if (!best) throw new SupplyChainInputError(`no cap to search below maxCap=${maxCap}`);
  return { ...best, evaluations };
}

/** Best (s, S) by simulation: a line search over S for each s. */
export function searchSS(cost: PolicyCost, startReorderPoint: number, maxOrderUpTo: number): SearchResult<SSPolicy> {
  let best: SearchResult<SSPolicy> | undefined;
  let evaluations = 0;
  const sweep = (s: number) => {
    const found = lineSearch((S) => cost(new SSPolicy(s, S)), Math.max(s, best?.policy.orderUpTo ?? s), s, maxOrderUpTo);
    evaluations += found.evaluations;
    return { policy: new SSPolicy(s, found.x), cost: found.cost, evaluations: 0 };
  };
  const outer = lineSearch(
    (s) => {
      const r = sweep(s);
      if (!best || r.cost < best.cost) best = r;
      return r.cost;
    },
    Math.round(startReorderPoint),
    0,
    maxOrderUpTo,
  );
  void outer;
  if (!best) throw new SupplyChainInputError('(s, S) search found nothing');
  return { ...best, evaluations };
}
