/**
 * Serial multi-echelon system with echelon accounting, and the exact optimal
 * echelon base-stock levels (Clark-Scarf, in the Chen-Zheng / Shang-Song
 * recursive form) for Poisson demand.
 *
 * Stages are numbered 0 (customer-facing) to N - 1 (most upstream); stage
 * N - 1 orders from an outside supplier with unlimited stock. Timing of
 * period t (Snyder & Shen 2019, Example 6.1):
 *   1. shipments due arrive at each stage;
 *   2. customer demand hits stage 0; what is not on hand is backordered;
 *   3. after demand, each stage j (downstream first) orders
 *      max(S_j - echelon inventory position_j, 0) from stage j + 1, which ships
 *      what it has on hand (the rest is backordered internally); a shipment
 *      into stage j arrives at the start of period t + L_j;
 *   4. costs at the end of the period: local holding h_j per unit on hand at
 *      stage j; stock in transit into stage j charged at the upstream stage's
 *      rate h_{j+1} (nothing for the outside supplier's shipments into N - 1);
 *      stockout cost p per unit backordered at stage 0.
 * The echelon inventory position of j is the stock on hand at stages 0..j,
 * in transit into them, and owed to j by j + 1, less customer backorders.
 */
import { mulberry32 } from './random';
import { SupplyChainInputError, requireNonNegative, requirePositiveInteger } from './errors';
import { type DemandModel, poissonPmf, poissonSupport } from './demand';
import { batchMeansStandardError, type SimulationResult } from './single-stage';

export interface SerialConfig {
  /** L_j per stage, customer-facing first. */
  leadTimes: readonly number[];
  /** Local holding cost per stage, customer-facing first. */
  holdingCosts: readonly number[];
  /** Per unit backordered at stage 0 at period end. */
  stockoutCost: number;
}

/** What a serial policy sees each period. */
export interface SerialState {
  /** On hand per stage (stage 0 negative: customer backorders). */
  onHand: readonly number[];
  /** Shipments in transit into each stage: inTransit[j][k] arrives k + 1 periods from now. */
  inTransit: readonly (readonly number[])[];
  /** Units stage j + 1 owes stage j (0 for the last stage). */
  owed: readonly number[];
}

export interface SerialPolicy {
  readonly name: string;
  readonly version: string;
  /** Orders per stage, customer-facing first (non-negative integers). */
  orders(state: SerialState): number[];
}

export function validateSerial(config: SerialConfig): void {
  const n = config.leadTimes.length;
  if (n < 1 || config.holdingCosts.length !== n) {
    throw new SupplyChainInputError(`leadTimes and holdingCosts need one entry per stage, got ${n} and ${config.holdingCosts.length}`);
  }
  config.leadTimes.forEach((l, j) => requirePositiveInteger(`leadTimes[${j}]`, l));
  config.holdingCosts.forEach((h, j) => requireNonNegative(`holdingCosts[${j}]`, h));
  requireNonNegative('stockoutCost', config.stockoutCost);
}

/** Echelon inventory positions (after this period's demand), customer-facing first. */
export function echelonPositions(state: SerialState): number[] {
  const positions: number[] = [];
  let cumulative = 0;
  for (let j = 0; j < state.onHand.length; j += 1) {
    cumulative += state.onHand[j];
    for (const q of state.inTransit[j]) cumulative += q;
    positions.push(cumulative + state.owed[j]);
  }
  return positions;
}

/** Echelon base-stock: each stage orders up to its echelon level. */
export class EchelonBaseStockPolicy implements SerialPolicy {
  readonly name = 'echelon-base-stock';
  readonly version: string;
  constructor(readonly levels: readonly number[]) {
    this.version = `S=(${levels.join(',')})`;
  }
  orders(state: SerialState): number[] {
    return echelonPositions(state).map((position, j) => Math.max(this.levels[j] - position, 0));
  }
}

/**
 * A serial system one period at a time (used by the simulator and by the RL
 * environment). Starts with each stage holding its share of `initialEchelon`
 * (or nothing) and empty pipelines.
 */
export class SerialSystem {
  readonly onHand: number[];
  readonly inTransit: number[][];
  readonly owed: number[];
  constructor(
    readonly config: SerialConfig,
    initialEchelon?: readonly number[],
  ) {
    validateSerial(config);
    const n = config.leadTimes.length;
    this.onHand = new Array(n).fill(0);
    if (initialEchelon) for (let j = 0; j < n; j += 1) this.onHand[j] = initialEchelon[j] - (j > 0 ? initialEchelon[j - 1] : 0);
    this.inTransit = config.leadTimes.map((l) => new Array(l).fill(0));
    this.owed = new Array(n).fill(0);
  }

  /** Steps 1-2: receipts, then demand at stage 0. */
  receiveAndDemand(demand: number): void {
    for (let j = 0; j < this.onHand.length; j += 1) {
      const pipe = this.inTransit[j];
      this.onHand[j] += pipe[0];
      for (let k = 0; k < pipe.length - 1; k += 1) pipe[k] = pipe[k + 1];
      pipe[pipe.length - 1] = 0;
    }
    this.onHand[0] -= demand;
  }

  /** The view a policy gets: `inTransit[j][k]` arrives k + 1 periods from now. */
  state(): SerialState {
    return { onHand: this.onHand, inTransit: this.inTransit, owed: this.owed };
  }

  /** Step 3-4: place orders (downstream first), ship, and return the period's cost. */
  orderAndCost(orders: readonly number[]): number {
    const n = this.onHand.length;
    const { leadTimes, holdingCosts, stockoutCost } = this.config;
    for (let j = 0; j < n; j += 1) {
      const q = Math.max(0, Math.round(orders[j] ?? 0));
      let shipped: number;
      if (j === n - 1) shipped = q;
      else {
        this.owed[j] += q;
        shipped = Math.min(Math.max(this.onHand[j + 1], 0), this.owed[j]);
        this.owed[j] -= shipped;
        this.onHand[j + 1] -= shipped;
      }
      this.inTransit[j][leadTimes[j] - 1] += shipped;
    }
    let cost = 0;
    for (let j = 0; j < n; j += 1) {
      cost += holdingCosts[j] * Math.max(this.onHand[j], 0);
      if (j + 1 < n) {
        let transit = 0;
        for (const q of this.inTransit[j]) transit += q;
        cost += holdingCosts[j + 1] * transit;
      }
    }
    return cost + stockoutCost * Math.max(-this.onHand[0], 0);
  }
}

/**
 * Simulates a serial policy for `periods` periods (after `warmup`) with demand
 * from `demand` and `seed`.
 */
export function simulateSerial(
  config: SerialConfig,
  policy: SerialPolicy,
  demand: DemandModel,
  options: { periods: number; seed: number; warmup?: number; initialEchelon?: readonly number[] },
): SimulationResult {
  requirePositiveInteger('periods', options.periods);
  const warmup = options.warmup ?? 1000;
  const random = mulberry32(options.seed);
  const system = new SerialSystem(config, options.initialEchelon);
  const costs = new Float64Array(options.periods);
  let demanded = 0;
  let filled = 0;
  let onHandSum = 0;
  for (let t = 0; t < warmup + options.periods; t += 1) {
    const d = demand.sample(random);
    const before = Math.max(system.onHand[0] + system.inTransit[0][0], 0); // on hand after this period's receipt
    system.receiveAndDemand(d);
    const cost = system.orderAndCost(policy.orders(system.state()));
    if (t >= warmup) {
      costs[t - warmup] = cost;
      demanded += d;
      filled += Math.min(before, d);
      onHandSum += system.onHand.reduce((s, v) => s + Math.max(v, 0), 0);
    }
  }
  let total = 0;
  for (let i = 0; i < costs.length; i += 1) total += costs[i];
  return {
    averageCost: total / costs.length,
    standardError: batchMeansStandardError(costs),
    fillRate: demanded > 0 ? filled / demanded : 1,
    averageOnHand: onHandSum / costs.length,
    periods: costs.length,
  };
}

export interface EchelonSolution {
  /** Optimal echelon base-stock levels, customer-facing first. */
  levels: number[];
  /** Expected cost per period under them. */
  cost: number;
}

/**
 * Exact optimal echelon base-stock levels for a serial system with Poisson
 * demand (Chen & Zheng 1994; Snyder & Shen 2019, Theorem 6.x), over integers:
 *
 *   C_0(x) = (p + h'_1)·x⁻                      (h'_1: local holding at stage 0)
 *   Ĉ_j(x) = h_j·x + C_{j-1}(x)                 (h_j: echelon holding = h'_j - h'_{j+1})
 *   C̄_j(y) = E[Ĉ_j(y - D_j)],  D_j ~ Poisson(mean·L_j)
 *   S*_j = argmin C̄_j,  C_j(x) = C̄_j(min(S*_j, x))
 *
 * and the optimal cost is C̄_N(S*_N). Holding in transit into a stage is
 * charged at the upstream stage's local rate, as in the simulator.
 */
export function optimalEchelonBaseStock(config: SerialConfig, poissonMean: number): EchelonSolution {
  validateSerial(config);
  requireNonNegative('poissonMean', poissonMean);
  const n = config.leadTimes.length;
  const local = config.holdingCosts;
  const echelon = local.map((h, j) => h - (j + 1 < n ? local[j + 1] : 0));
  const totalLead = config.leadTimes.reduce((s, l) => s + l, 0);
  const span = poissonSupport(poissonMean * totalLead, 1e-14) + 10;
  // Functions are tabulated on x in [lo, hi]; each stage's convolution shifts the valid range down.
  const lo = -span * (n + 1);
  const hi = span * 2;
  const size = hi - lo + 1;
  let previous = new Float64Array(size); // C_{j-1}(x)
  for (let i = 0; i < size; i += 1) {
    const x = lo + i;
    previous[i] = (config.stockoutCost + local[0]) * Math.max(-x, 0);
  }
  const levels: number[] = [];
  let cost = 0;
  for (let j = 0; j < n; j += 1) {
    const mean = poissonMean * config.leadTimes[j];
    const maxD = poissonSupport(mean, 1e-14);
    const pmf = poissonPmf(mean, maxD);
    const hat = new Float64Array(size);
    for (let i = 0; i < size; i += 1) hat[i] = echelon[j] * (lo + i) + previous[i];
    const expected = new Float64Array(size).fill(Number.POSITIVE_INFINITY);
    for (let i = maxD; i < size; i += 1) {
      let v = 0;
      for (let d = 0; d <= maxD; d += 1) v += pmf[d] * hat[i - d];
      expected[i] = v;
    }
    // Search y only where the table is trustworthy (away from the lower truncation).
    let best = -1;
    for (let i = maxD + span; i < size; i += 1) if (best < 0 || expected[i] < expected[best]) best = i;
    levels.push(lo + best);
    cost = expected[best];
    const next = new Float64Array(size);
    for (let i = 0; i < size; i += 1) next[i] = expected[Math.min(i, best)];
    // Below the valid range, extend linearly (C̄ is linear far below the optimum).
    const slope = expected[maxD + 1] - expected[maxD];
    for (let i = 0; i < maxD; i += 1) next[i] = expected[maxD] - slope * (maxD - i);
    previous = next;
  }
  return { levels, cost };
}
