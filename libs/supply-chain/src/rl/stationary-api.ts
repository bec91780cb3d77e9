/**
 * Rollout data for single-stage stationary demand (B1): states visited by the
 * current policy, each scored under every correction δ with common random
 * numbers (see api.ts).
 */
import { mulberry32 } from '../random';
import type { InventoryState, OrderPolicy } from '../policy';
import type { DemandModel } from '../demand';
import type { SingleStageConfig } from '../single-stage';
import { type CappedBaseStockStructure, singleStageBaseOrder, singleStageFeatures, structureFeatureCount } from '../neural-policy';
import type { RegretDataset } from './api';

export interface RolloutOptions {
  states: number;
  /** Demand paths per state (shared by all δ). */
  repetitions: number;
  horizon: number;
  /** Periods between sampled states on the policy's own trajectory. */
  spacing?: number;
  seed: number;
}

interface Stock {
  onHand: number;
  /** inTransit[i] arrives at the start of the period i + 1 from now (slot 0 arrives next). */
  inTransit: number[];
}

/** Cost of one period from a decision point: order q, demand d, then receive; mutates `s`. */
function period(config: SingleStageConfig, s: Stock, q: number, d: number): number {
  const L = config.leadTime;
  const capped = Math.min(Math.max(q, 0), config.capacity ?? Number.POSITIVE_INFINITY);
  let cost = capped > 0 ? (config.fixedOrderCost ?? 0) + (config.unitOrderCost ?? 0) * capped : 0;
  if (L === 0) s.onHand += capped;
  else s.inTransit[L - 1] = capped;
  if (config.lostSales) {
    const sold = Math.min(Math.max(s.onHand, 0), d);
    s.onHand -= sold;
    cost += config.holdingCost * s.onHand + config.penaltyCost * (d - sold);
  } else {
    s.onHand -= d;
    cost += s.onHand >= 0 ? config.holdingCost * s.onHand : -config.penaltyCost * s.onHand;
  }
  if (L > 0) {
    s.onHand += s.inTransit[0];
    for (let i = 0; i < L - 1; i += 1) s.inTransit[i] = s.inTransit[i + 1];
    s.inTransit[L - 1] = 0;
  }
  return cost;
}

function view(s: Stock, L: number, state: InventoryState & { pipeline: number[] }): InventoryState {
  state.onHand = s.onHand;
  for (let i = 0; i < L - 1; i += 1) state.pipeline[i] = s.inTransit[i];
  return state;
}

/**
 * Caches a deterministic policy's orders by integer state (on hand and
 * pipeline below 64 units each), so rollouts of a network policy cost about
 * as much as rollouts of a formula: stationary lost-sales systems visit a few
 * thousand distinct states.
 */
export function memoizePolicy(policy: OrderPolicy, leadTime: number): OrderPolicy {
  const cache = new Map<number, number>();
  return {
    name: policy.name,
    version: policy.version,
    order(state: InventoryState): number {
      let key = state.onHand + 64;
      let cacheable = Number.isInteger(state.onHand) && key >= 0 && key < 128;
      for (let i = 0; i < leadTime - 1 && cacheable; i += 1) {
        const q = state.pipeline[i];
        cacheable = Number.isInteger(q) && q >= 0 && q < 64;
        key = key * 64 + q;
      }
      if (!cacheable || !Number.isSafeInteger(key)) return policy.order(state);
      let order = cache.get(key);
      if (order === undefined) {
        order = policy.order(state);
        cache.set(key, order);
      }
      return order;
    },
  };
}

/** Collects Q(s, δ) - min Q for states on `policy`'s trajectory; rollouts follow `policy` after the first step. */
export function stationaryRegrets(
  config: SingleStageConfig,
  demand: DemandModel,
  structure: CappedBaseStockStructure,
  deltas: readonly number[],
  policy: OrderPolicy,
  options: RolloutOptions,
): RegretDataset {
  const L = config.leadTime;
  const random = mulberry32(options.seed >>> 0);
  const featureCount = structureFeatureCount(structure);
  const k = deltas.length;
  const features = new Float32Array(options.states * featureCount);
  const regrets = new Float32Array(options.states * k);
  const main: Stock = { onHand: structure.level, inTransit: new Array(Math.max(L, 1)).fill(0) };
  const state = { onHand: 0, pipeline: new Array(Math.max(L - 1, 0)).fill(0) };
  const spacing = options.spacing ?? 5;
  for (let t = 0; t < 200; t += 1) period(config, main, policy.order(view(main, L, state)), demand.sample(random));
  const paths = new Float64Array(options.repetitions * options.horizon);
  const q = new Float64Array(k);
  const copy: Stock = { onHand: 0, inTransit: new Array(Math.max(L, 1)).fill(0) };
  for (let n = 0; n < options.states; n += 1) {
    for (let t = 0; t < spacing; t += 1) period(config, main, policy.order(view(main, L, state)), demand.sample(random));
    const decision = view(main, L, state);
    singleStageFeatures(structure, decision, features, n * featureCount);
    const base = singleStageBaseOrder(structure, decision);
    for (let i = 0; i < paths.length; i += 1) paths[i] = demand.sample(random);
    q.fill(0);
    for (let a = 0; a < k; a += 1) {
      const first = Math.max(0, base + deltas[a]);
      for (let rep = 0; rep < options.repetitions; rep += 1) {
        copy.onHand = main.onHand;
        for (let i = 0; i < main.inTransit.length; i += 1) copy.inTransit[i] = main.inTransit[i];
        let cost = period(config, copy, first, paths[rep * options.horizon]);
        for (let h = 1; h < options.horizon; h += 1) cost += period(config, copy, policy.order(view(copy, L, state)), paths[rep * options.horizon + h]);
        q[a] += cost / options.repetitions;
      }
    }
    let min = Infinity;
    for (let a = 0; a < k; a += 1) min = Math.min(min, q[a]);
    for (let a = 0; a < k; a += 1) regrets[n * k + a] = (q[a] - min) / structure.scale;
  }
  return { features, regrets, count: options.states };
}
