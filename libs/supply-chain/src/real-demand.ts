/**
 * Replenishment against real daily demand histories (B3 and the service):
 * lost sales, lead time L days (an order placed at the start of day t is on
 * the shelf at the start of day t + L), holding cost per unit left at day end
 * = holdingRate·price, penalty per unit lost = penaltyRate·price (defaults:
 * 25%/365 and 30% of the sell price).
 *
 * The classical baseline is the forecast base-stock (rolling mean/std over a
 * window of past days) with its window and safety factor tuned on training
 * days; the learned policy is one network over states normalised by the
 * forecast, trained with PPO on all training series at once.
 */
import { mulberry32, type Random } from './random';
import type { InventoryState, OrderPolicy } from './policy';
import { SupplyChainInputError, requireNonNegative, requirePositiveInteger } from './errors';
import { type ForecastBaseStockParams, ForecastBaseStockPolicy, forecastOrderUpTo } from './forecast-base-stock';
import { type ForecastBaseStockStructure, NeuralOrderPolicy, singleStageBaseOrder, singleStageFeatures, singleStageUnit, structureFeatureCount } from './neural-policy';
import { type PpoOptions, type PpoResult, type VectorEnv, trainPpo } from './rl/ppo';
import { Mlp } from './rl/mlp';
import { type RegretDataset, fitRegretClassifier } from './rl/api';

export interface RealDemandCosts {
  leadTime: number;
  /** Holding cost per unit per day as a fraction of the sell price (default 0.25 / 365). */
  holdingRate: number;
  /** Lost-sale penalty per unit as a fraction of the sell price (default 0.3). */
  penaltyRate: number;
}

export const DEFAULT_REAL_DEMAND_COSTS: RealDemandCosts = { leadTime: 2, holdingRate: 0.25 / 365, penaltyRate: 0.3 };

/** One item-store history: daily demand and (optionally) daily price (default 1: costs in price units). */
export interface DemandHistory {
  id?: string;
  demand: ArrayLike<number>;
  price?: ArrayLike<number> | number;
  /** First day to simulate from (e.g. the launch day); default 0. */
  firstDay?: number;
}

export interface SeriesOutcome {
  cost: number;
  demand: number;
  sold: number;
  /** Sum over days of the stock on hand at day end. */
  stockDays: number;
  days: number;
}

function priceAt(history: DemandHistory, t: number): number {
  if (history.price === undefined) return 1;
  return typeof history.price === 'number' ? history.price : history.price[t];
}

/** Rolling mean/std over days [t - window, t) for every t (prefix sums: O(days)). */
export function rollingForecasts(demand: ArrayLike<number>, window: number): { mean: Float64Array; std: Float64Array } {
  requirePositiveInteger('window', window);
  const n = demand.length;
  const sum = new Float64Array(n + 1);
  const sumSq = new Float64Array(n + 1);
  for (let t = 0; t < n; t += 1) {
    sum[t + 1] = sum[t] + demand[t];
    sumSq[t + 1] = sumSq[t] + demand[t] * demand[t];
  }
  const mean = new Float64Array(n + 1);
  const std = new Float64Array(n + 1);
  for (let t = 1; t <= n; t += 1) {
    const start = Math.max(0, t - window);
    const count = t - start;
    const m = (sum[t] - sum[start]) / count;
    mean[t] = m;
    std[t] = Math.sqrt(Math.max((sumSq[t] - sumSq[start]) / count - m * m, 0));
  }
  return { mean, std };
}

/**
 * Simulates `policy` on days [start, end) of one history. Each day the state
 * carries the rolling forecast from the previous `window` days. Starts with
 * the forecast base-stock level `initial` on hand (same for every policy compared).
 */
export function simulateHistory(
  history: DemandHistory,
  policy: OrderPolicy,
  costs: RealDemandCosts,
  options: { start: number; end: number; forecasts: { mean: Float64Array; std: Float64Array }; initialOnHand: number },
): SeriesOutcome {
  const L = costs.leadTime;
  const inTransit = new Array(Math.max(L, 1)).fill(0);
  const pipeline = new Array(Math.max(L - 1, 0)).fill(0);
  const state: InventoryState = { onHand: options.initialOnHand, pipeline, demandMean: 0, demandStd: 0 };
  const out: SeriesOutcome = { cost: 0, demand: 0, sold: 0, stockDays: 0, days: 0 };
  for (let t = options.start; t < options.end; t += 1) {
    if (L > 0) {
      state.onHand += inTransit[0];
      for (let i = 0; i < L - 1; i += 1) pipeline[i] = inTransit[i] = inTransit[i + 1];
      inTransit[L - 1] = 0;
    }
    state.demandMean = options.forecasts.mean[t];
    state.demandStd = options.forecasts.std[t];
    const q = Math.max(0, Math.round(policy.order(state)));
    if (L > 0) inTransit[L - 1] = q;
    else state.onHand += q;
    const d = history.demand[t];
    const sold = Math.min(Math.max(state.onHand, 0), d);
    state.onHand -= sold;
    const price = priceAt(history, t);
    out.cost += price * (costs.holdingRate * state.onHand + costs.penaltyRate * (d - sold));
    out.demand += d;
    out.sold += sold;
    out.stockDays += state.onHand;
    out.days += 1;
  }
  return out;
}

export interface PolicyOutcome extends SeriesOutcome {
  perSeries: SeriesOutcome[];
  fillRate: number;
}

/** Runs one policy over days [start, end) of every history (forecast window from the base-stock params). */
export function evaluateOnHistories(
  histories: readonly DemandHistory[],
  policy: OrderPolicy,
  baseParams: ForecastBaseStockParams,
  costs: RealDemandCosts,
  range: { start: number; end: number },
  forecastCache = new Map<DemandHistory, { mean: Float64Array; std: Float64Array }>(),
): PolicyOutcome {
  const perSeries = histories.map((history) => {
    let forecasts = forecastCache.get(history);
    if (!forecasts) {
      forecasts = rollingForecasts(history.demand, baseParams.window);
      forecastCache.set(history, forecasts);
    }
    const start = Math.max(range.start, history.firstDay ?? 0);
    const initialOnHand = Math.round(forecastOrderUpTo({ mean: forecasts.mean[start], std: forecasts.std[start] }, baseParams));
    return simulateHistory(history, policy, costs, { start, end: range.end, forecasts, initialOnHand });
  });
  const total = perSeries.reduce(
    (acc, s) => ({ cost: acc.cost + s.cost, demand: acc.demand + s.demand, sold: acc.sold + s.sold, stockDays: acc.stockDays + s.stockDays, days: acc.days + s.days }),
    { cost: 0, demand: 0, sold: 0, stockDays: 0, days: 0 },
  );
  return { ...total, perSeries, fillRate: total.demand > 0 ? total.sold / total.demand : 1 };
}

export interface TunedBaseStock {
  params: ForecastBaseStockParams;
  outcome: PolicyOutcome;
}

/** Grid search of the forecast base-stock's window and safety factor on the training days (total cost). */
export function tuneForecastBaseStock(
  histories: readonly DemandHistory[],
  costs: RealDemandCosts,
  range: { start: number; end: number },
  grid: { windows?: number[]; safetyFactors?: number[] } = {},
): TunedBaseStock {
  const windows = grid.windows ?? [7, 14, 28, 56];
  const factors = grid.safetyFactors ?? Array.from({ length: 25 }, (_, i) => i * 0.25);
  let best: TunedBaseStock | undefined;
  for (const window of windows) {
    const cache = new Map<DemandHistory, { mean: Float64Array; std: Float64Array }>();
    for (const safetyFactor of factors) {
      const params: ForecastBaseStockParams = { leadTime: costs.leadTime, window, safetyFactor };
      const outcome = evaluateOnHistories(histories, new ForecastBaseStockPolicy(params), params, costs, range, cache);
      if (!best || outcome.cost < best.outcome.cost) best = { params, outcome };
    }
  }
  if (!best) throw new SupplyChainInputError('forecast base-stock grid is empty');
  return best;
}

/**
 * Training environment over real histories: each environment replays a random
 * history from a random day for `episodeDays` days, then moves to another.
 * Costs are divided by price × the history's mean demand so every series
 * weighs alike in the gradient.
 */
export class HistoryVectorEnv implements VectorEnv {
  readonly obsDim: number;
  readonly heads = 1;
  private readonly random: Random;
  private readonly envs: { h: number; t: number; left: number; state: InventoryState & { pipeline: number[] }; inTransit: number[] }[];
  private readonly forecasts: { mean: Float64Array; std: Float64Array }[];
  private readonly scales: number[];

  constructor(
    readonly histories: readonly DemandHistory[],
    readonly structure: ForecastBaseStockStructure,
    readonly deltas: readonly number[],
    readonly costs: RealDemandCosts,
    readonly range: { start: number; end: number },
    readonly numEnvs: number,
    readonly episodeDays: number,
    seed: number,
    readonly shift: number,
  ) {
    this.obsDim = structureFeatureCount(structure);
    this.random = mulberry32(seed >>> 0);
    this.forecasts = histories.map((h) => rollingForecasts(h.demand, structure.params.window));
    this.scales = histories.map((h) => {
      let sum = 0;
      const first = Math.max(range.start, h.firstDay ?? 0);
      for (let t = first; t < range.end; t += 1) sum += h.demand[t];
      return Math.max(sum / Math.max(range.end - first, 1), 0.05);
    });
    this.envs = Array.from({ length: numEnvs }, () => ({ h: 0, t: 0, left: 0, state: { onHand: 0, pipeline: [], demandMean: 0, demandStd: 0 }, inTransit: [] }));
    for (let e = 0; e < numEnvs; e += 1) this.reset(e);
  }

  private reset(e: number): void {
    const L = this.costs.leadTime;
    const env = this.envs[e];
    for (let tries = 0; tries < 100; tries += 1) {
      env.h = Math.floor(this.random() * this.histories.length);
      const first = Math.max(this.range.start, this.histories[env.h].firstDay ?? 0) + this.structure.params.window;
      if (first + this.episodeDays < this.range.end) {
        env.t = first + Math.floor(this.random() * (this.range.end - this.episodeDays - first));
        break;
      }
      env.t = first;
    }
    env.left = this.episodeDays;
    const f = this.forecasts[env.h];
    env.state = { onHand: Math.round(forecastOrderUpTo({ mean: f.mean[env.t], std: f.std[env.t] }, this.structure.params)), pipeline: new Array(Math.max(L - 1, 0)).fill(0), demandMean: 0, demandStd: 0 };
    env.inTransit = new Array(Math.max(L, 1)).fill(0);
    this.refresh(e);
  }

  /** Sets the forecast of the env's current day. */
  private refresh(e: number): void {
    const env = this.envs[e];
    const f = this.forecasts[env.h];
    env.state.demandMean = f.mean[env.t];
    env.state.demandStd = f.std[env.t];
  }

  observe(obs: Float32Array): void {
    for (let e = 0; e < this.numEnvs; e += 1) singleStageFeatures(this.structure, this.envs[e].state, obs, e * this.obsDim);
  }

  step(actions: Int32Array, rewards: Float32Array, dones: Uint8Array): void {
    const L = this.costs.leadTime;
    for (let e = 0; e < this.numEnvs; e += 1) {
      const env = this.envs[e];
      const s = env.state;
      const q = Math.max(0, singleStageBaseOrder(this.structure, s) + this.deltas[actions[e]] * singleStageUnit(this.structure, s));
      if (L > 0) env.inTransit[L - 1] = q;
      else s.onHand += q;
      const history = this.histories[env.h];
      const d = history.demand[env.t];
      const sold = Math.min(Math.max(s.onHand, 0), d);
      s.onHand -= sold;
      const cost = this.costs.holdingRate * s.onHand + this.costs.penaltyRate * (d - sold);
      rewards[e] = -(cost / (this.costs.penaltyRate * this.scales[env.h]) - this.shift);
      env.t += 1;
      env.left -= 1;
      if (env.left <= 0 || env.t >= this.range.end) {
        dones[e] = 1;
        this.reset(e);
        continue;
      }
      dones[e] = 0;
      if (L > 0) {
        s.onHand += env.inTransit[0];
        for (let i = 0; i < L - 1; i += 1) s.pipeline[i] = env.inTransit[i] = env.inTransit[i + 1];
        env.inTransit[L - 1] = 0;
      }
      this.refresh(e);
    }
  }
}

/**
 * Rollout data on real histories (approximate policy iteration, see rl/api.ts):
 * states visited by the current policy (default: the forecast base-stock) on
 * random training days; each correction δ is scored by replaying the next
 * `horizon` days of the actual history under that policy (the same days for every δ), in units of
 * penaltyRate × the series' mean daily demand so every series weighs alike.
 */
export function historyRegrets(
  histories: readonly DemandHistory[],
  structure: ForecastBaseStockStructure,
  deltas: readonly number[],
  costs: RealDemandCosts,
  range: { start: number; end: number },
  options: { states: number; horizon: number; seed: number; policy?: OrderPolicy },
): RegretDataset {
  // The current policy: visited states come from it and rollouts follow it after the first day.
  const follow = (state: InventoryState) => (options.policy ? options.policy.order(state) : singleStageBaseOrder(structure, state));
  const random = mulberry32(options.seed >>> 0);
  const featureCount = structureFeatureCount(structure);
  const k = deltas.length;
  const L = costs.leadTime;
  const features = new Float32Array(options.states * featureCount);
  const regrets = new Float32Array(options.states * k);
  const forecasts = histories.map((h) => rollingForecasts(h.demand, structure.params.window));
  const warmup = 3 * structure.params.window;
  const q = new Float64Array(k);
  let n = 0;
  let attempts = 0;
  while (n < options.states && attempts < options.states * 20) {
    attempts += 1;
    const hi = Math.floor(random() * histories.length);
    const history = histories[hi];
    const f = forecasts[hi];
    const first = Math.max(range.start, history.firstDay ?? 0) + structure.params.window;
    const lastStart = range.end - options.horizon - warmup;
    if (lastStart <= first) continue;
    let t = first + Math.floor(random() * (lastStart - first));
    // Walk the base-stock for `warmup` days to reach a typical state.
    const s = { onHand: Math.round(forecastOrderUpTo({ mean: f.mean[t], std: f.std[t] }, structure.params)), pipeline: new Array(Math.max(L - 1, 0)).fill(0), demandMean: 0, demandStd: 0 };
    const inTransit = new Array(Math.max(L, 1)).fill(0);
    const day = (state: typeof s, transit: number[], order: number, d: number): number => {
      if (L > 0) transit[L - 1] = order;
      else state.onHand += order;
      const sold = Math.min(Math.max(state.onHand, 0), d);
      state.onHand -= sold;
      const cost = costs.holdingRate * state.onHand + costs.penaltyRate * (d - sold);
      if (L > 0) {
        state.onHand += transit[0];
        for (let i = 0; i < L - 1; i += 1) state.pipeline[i] = transit[i] = transit[i + 1];
        transit[L - 1] = 0;
      }
      return cost;
    };
    for (let w = 0; w < warmup; w += 1, t += 1) {
      s.demandMean = f.mean[t];
      s.demandStd = f.std[t];
      day(s, inTransit, follow(s), history.demand[t]);
    }
    s.demandMean = f.mean[t];
    s.demandStd = f.std[t];
    singleStageFeatures(structure, s, features, n * featureCount);
    const base = singleStageBaseOrder(structure, s);
    const unit = singleStageUnit(structure, s);
    let scale = 0;
    for (let i = t - structure.params.window; i < t; i += 1) scale += history.demand[i];
    scale = costs.penaltyRate * Math.max(scale / structure.params.window, 0.1);
    for (let a = 0; a < k; a += 1) {
      const copy = { ...s, pipeline: [...s.pipeline] };
      const transit = [...inTransit];
      let cost = day(copy, transit, Math.max(0, base + deltas[a] * unit), history.demand[t]);
      for (let h = 1; h < options.horizon; h += 1) {
        copy.demandMean = f.mean[t + h];
        copy.demandStd = f.std[t + h];
        cost += day(copy, transit, follow(copy), history.demand[t + h]);
      }
      q[a] = cost;
    }
    let min = Infinity;
    for (let a = 0; a < k; a += 1) min = Math.min(min, q[a]);
    for (let a = 0; a < k; a += 1) regrets[n * k + a] = (q[a] - min) / scale;
    n += 1;
  }
  if (n < options.states) throw new SupplyChainInputError(`histories too short for ${options.states} rollout states of ${options.horizon} days`);
  return { features, regrets, count: n };
}

export interface RealDemandTrainingOptions {
  costs?: Partial<RealDemandCosts>;
  /** Training days [start, end) (0-based); default all days of the histories. */
  range?: { start: number; end: number };
  /** Days at the end of the range the greedy policy is selected on (default 365, or the whole range when shorter). */
  selectionDays?: number;
  seed: number;
  /** 'api' (default: rollouts over the base-stock on the actual histories) or 'ppo'. */
  algorithm?: 'api' | 'ppo';
  /** API: rollout states, days per rollout and fitting epochs (defaults 20000, 10, 100); `iterations` (default 2) counts policy-iteration rounds. */
  states?: number;
  horizon?: number;
  epochs?: number;
  /** API rounds (default 2) or PPO iterations (default 15). */
  iterations?: number;
  envs?: number;
  steps?: number;
  episodeDays?: number;
  deltas?: number[];
  unitFraction?: number;
  grid?: { windows?: number[]; safetyFactors?: number[] };
  ppo?: Partial<PpoOptions>;
  log?: (message: string) => void;
}

export interface TrainedRealDemandPolicy {
  policy: NeuralOrderPolicy;
  baseStock: ForecastBaseStockPolicy;
  costs: RealDemandCosts;
  /** Selection-window outcomes of both on the training histories. */
  selection: { learned: { cost: number; fillRate: number }; baseStock: { cost: number; fillRate: number } };
  training: { algorithm: 'api' | 'ppo'; initialCost: number; bestCost: number; seconds: number };
  ppo?: PpoResult;
}

/**
 * Trains one learned policy for many real demand histories: tunes the
 * forecast base-stock on them, then PPO corrections normalised by the
 * forecast. The greedy policy kept is the cheapest on the selection window
 * whose fill rate is at least the base-stock's (iteration 0 is the base-stock
 * itself, so the result is never worse there). With the defaults (20000 rollout
 * states of 21 days) a few hundred series train in about a minute on 2 cores.
 */
export async function trainRealDemandPolicy(histories: readonly DemandHistory[], options: RealDemandTrainingOptions): Promise<TrainedRealDemandPolicy> {
  if (histories.length === 0) throw new SupplyChainInputError('need at least one demand history');
  const costs: RealDemandCosts = { ...DEFAULT_REAL_DEMAND_COSTS, ...options.costs };
  requireNonNegative('holdingRate', costs.holdingRate);
  requireNonNegative('penaltyRate', costs.penaltyRate);
  const length = Math.min(...histories.map((h) => h.demand.length));
  const range = options.range ?? { start: 0, end: length };
  if (range.end > length || range.start < 0 || range.end - range.start < 30) {
    throw new SupplyChainInputError(`training range [${range.start}, ${range.end}) must lie within the histories (${length} days) and span at least 30 days`);
  }
  const log = options.log ?? (() => undefined);
  const tuned = tuneForecastBaseStock(histories, costs, range, options.grid);
  const baseStock = new ForecastBaseStockPolicy(tuned.params);
  log(`real demand: forecast base-stock tuned on training days: window ${tuned.params.window}, z ${tuned.params.safetyFactor}, fill rate ${tuned.outcome.fillRate.toFixed(4)}`);
  const selectionDays = Math.min(options.selectionDays ?? 365, range.end - range.start);
  const selectionRange = { start: range.end - selectionDays, end: range.end };
  const cache = new Map<DemandHistory, { mean: Float64Array; std: Float64Array }>();
  const baseSelection = evaluateOnHistories(histories, baseStock, tuned.params, costs, selectionRange, cache);
  const structure: ForecastBaseStockStructure = { kind: 'forecast-base-stock', params: tuned.params, unitFraction: options.unitFraction ?? 0.5 };
  const deltas = options.deltas ?? [-2, -1, 0, 1, 2];
  const version = `rl-ppo-forecast-${Date.now().toString(36)}`;
  // Selection: cost, with any fill rate below the base-stock's priced out.
  const select = (network: Mlp) => {
    const outcome = evaluateOnHistories(histories, new NeuralOrderPolicy(structure, network, deltas, version), tuned.params, costs, selectionRange, cache);
    return outcome.fillRate + 1e-12 >= baseSelection.fillRate ? outcome.cost : Number.POSITIVE_INFINITY;
  };
  const started = Date.now();
  let network: Mlp;
  let ppo: PpoResult | undefined;
  if ((options.algorithm ?? 'api') === 'api') {
    // Policy iteration: each round's rollouts follow the previous round's greedy policy.
    let current: Mlp | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    network = new Mlp([structureFeatureCount(structure), 32, 32, deltas.length]);
    for (let iteration = 1; iteration <= (options.iterations ?? 2); iteration += 1) {
      const policy = current ? new NeuralOrderPolicy(structure, current, deltas, version) : undefined;
      const data = historyRegrets(histories, structure, deltas, costs, range, { states: options.states ?? 20_000, horizon: options.horizon ?? 10, seed: options.seed + iteration, policy });
      current = await fitRegretClassifier(data, structureFeatureCount(structure), deltas.length, { seed: options.seed + iteration, epochs: options.epochs ?? 100, init: current, log });
      const cost = select(current);
      log(`real demand: iteration ${iteration} selection cost ${cost} (base-stock ${baseSelection.cost})`);
      if (cost < bestCost) {
        bestCost = cost;
        network = current;
      }
    }
  } else {
    const env = new HistoryVectorEnv(histories, structure, deltas, costs, range, options.envs ?? 16, options.episodeDays ?? 256, options.seed, 0.05);
    ppo = await trainPpo(env, select, { deltas, iterations: options.iterations ?? 15, steps: options.steps ?? 64, hidden: [32, 32], minibatch: 512, seed: options.seed, log, ...options.ppo });
    network = ppo.network;
  }
  const selected = select(network);
  const keep = selected < baseSelection.cost;
  log(`real demand: learned selection cost ${selected} vs base-stock ${baseSelection.cost}: ${keep ? 'keeping the learned corrections' : 'no improvement, keeping δ = 0 (the base-stock)'}`);
  if (!keep) {
    network = new Mlp([structureFeatureCount(structure), 32, 32, deltas.length]);
    network.params[network.params.length - 1][deltas.indexOf(0)] = 1;
  }
  const policy = new NeuralOrderPolicy(structure, network, deltas, version);
  const learnedSelection = evaluateOnHistories(histories, policy, tuned.params, costs, selectionRange, cache);
  return {
    policy,
    baseStock,
    costs,
    selection: {
      learned: { cost: learnedSelection.cost, fillRate: learnedSelection.fillRate },
      baseStock: { cost: baseSelection.cost, fillRate: baseSelection.fillRate },
    },
    training: { algorithm: options.algorithm ?? 'api', initialCost: baseSelection.cost, bestCost: Math.min(selected, baseSelection.cost), seconds: (Date.now() - started) / 1000 },
    ppo,
  };
}
