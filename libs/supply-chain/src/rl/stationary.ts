/**
 * Training recipes for the benchmarks with a stationary demand model: tune
 * the classical structure by simulation, then learn corrections to it with
 * PPO, selecting the greedy policy on common random numbers.
 */
import type { DemandModel } from '../demand';
import { demandPath } from '../demand';
import { type SingleStageConfig, simulateSingleStage } from '../single-stage';
import { CappedBaseStockPolicy, searchCappedBaseStock, simulatedCost } from '../classical';
import { EchelonBaseStockPolicy, type SerialConfig, simulateSerial } from '../serial';
import { type CappedBaseStockStructure, type EchelonStructure, NeuralOrderPolicy, NeuralSerialPolicy, structureFeatureCount } from '../neural-policy';
import { SerialVectorEnv, StationaryVectorEnv } from './envs';
import { type PpoOptions, type PpoResult, trainPpo } from './ppo';
import { fitRegretClassifier } from './api';
import { type RolloutOptions, memoizePolicy, stationaryRegrets } from './stationary-api';
import type { OrderPolicy } from '../policy';
import { Mlp } from './mlp';

export interface TrainingBudget {
  /** Parallel environments per rollout. */
  envs: number;
  /** Periods per environment per PPO iteration. */
  steps: number;
  iterations: number;
  /** Periods of the common-random-numbers path the greedy policy is selected on. */
  selectionPeriods: number;
}

export const DEFAULT_BUDGET: TrainingBudget = { envs: 64, steps: 128, iterations: 40, selectionPeriods: 100_000 };

/** Rollout budget of approximate policy iteration, per iteration (the first follows the classical policy, later ones the network). */
export interface ApiBudget {
  iterations: number;
  rollouts: Omit<RolloutOptions, 'seed'>[];
  epochs: number;
}

export const DEFAULT_API_BUDGET: ApiBudget = {
  iterations: 1,
  rollouts: [{ states: 20_000, repetitions: 16, horizon: 30 }],
  epochs: 100,
};

/** What training did: the greedy cost per iteration on the selection path (iteration 0 = the classical policy). */
export interface TrainingRecord {
  algorithm: 'api' | 'ppo';
  history: { iteration: number; cost: number }[];
  bestIteration: number;
  bestCost: number;
  initialCost: number;
  seconds: number;
}

export interface LearnedSingleStage {
  policy: NeuralOrderPolicy;
  structure: CappedBaseStockStructure;
  classical: CappedBaseStockPolicy;
  training: TrainingRecord;
  ppo?: PpoResult;
}

/**
 * Learns a lost-sales (or backorder) policy for stationary demand: capped
 * base-stock tuned on a CRN path, then PPO corrections δ ∈ deltas.
 */
export async function trainStationaryPolicy(
  config: SingleStageConfig,
  demand: DemandModel,
  options: {
    seed: number;
    /** 'api' (default: rollout policy iteration, see api.ts) or 'ppo'. */
    algorithm?: 'api' | 'ppo';
    budget?: Partial<TrainingBudget>;
    api?: Partial<ApiBudget>;
    deltas?: number[];
    classical?: CappedBaseStockPolicy;
    ppo?: Partial<PpoOptions>;
    log?: (m: string) => void;
  },
): Promise<LearnedSingleStage> {
  const budget = { ...DEFAULT_BUDGET, ...options.budget };
  const deltas = options.deltas ?? [-2, -1, 0, 1, 2];
  const path = demandPath(demand, budget.selectionPeriods, (options.seed ^ 0x5bd1e995) >>> 0);
  const cost = simulatedCost(config, path);
  const classical =
    options.classical ?? searchCappedBaseStock(cost, demand.mean, Math.round(demand.mean * (config.leadTime + 1))).policy;
  const structure: CappedBaseStockStructure = { kind: 'capped-base-stock', level: classical.level, cap: classical.cap, leadTime: config.leadTime, scale: Math.max(demand.mean, 1e-6) };
  const classicalCost = simulateSingleStage(config, classical, path).averageCost;
  if ((options.algorithm ?? 'api') === 'api') {
    return trainStationaryApi(config, demand, structure, classical, classicalCost, path, deltas, options.seed, { ...DEFAULT_API_BUDGET, ...options.api }, options.log);
  }
  const env = new StationaryVectorEnv(config, demand, structure, deltas, budget.envs, options.seed, { shift: classicalCost, scale: classicalCost || 1 });
  const version = `rl-ppo-${structure.kind}-${Date.now().toString(36)}`;
  const ppo = await trainPpo(env, (network) => simulateSingleStage(config, new NeuralOrderPolicy(structure, network, deltas, version), path).averageCost, {
    deltas,
    iterations: budget.iterations,
    steps: budget.steps,
    seed: options.seed,
    log: options.log,
    ...options.ppo,
  });
  return {
    policy: new NeuralOrderPolicy(structure, ppo.network, deltas, version),
    structure,
    classical,
    ppo,
    training: { algorithm: 'ppo', history: ppo.history, bestIteration: ppo.bestIteration, bestCost: ppo.bestCost, initialCost: ppo.initialCost, seconds: ppo.seconds },
  };
}

async function trainStationaryApi(
  config: SingleStageConfig,
  demand: DemandModel,
  structure: CappedBaseStockStructure,
  classical: CappedBaseStockPolicy,
  classicalCost: number,
  path: Float64Array,
  deltas: number[],
  seed: number,
  budget: ApiBudget,
  log: (m: string) => void = () => undefined,
): Promise<LearnedSingleStage> {
  const started = Date.now();
  const version = `rl-api-${structure.kind}-${Date.now().toString(36)}`;
  // Iteration 0: a network that always picks δ = 0 is the classical policy itself.
  const identity = new Mlp([structureFeatureCount(structure), 32, 32, deltas.length]);
  identity.params[identity.params.length - 1][deltas.indexOf(0)] = 1;
  let best = new NeuralOrderPolicy(structure, identity, deltas, version);
  let bestCost = classicalCost;
  let bestIteration = 0;
  const history = [{ iteration: 0, cost: classicalCost }];
  log(`api: iteration 0 (capped base-stock ${classical.version}) cost ${classicalCost.toFixed(4)}`);
  let rolloutPolicy: OrderPolicy = classical;
  let network: Mlp | undefined;
  for (let iteration = 1; iteration <= budget.iterations; iteration += 1) {
    const rollouts = budget.rollouts[Math.min(iteration - 1, budget.rollouts.length - 1)];
    const data = stationaryRegrets(config, demand, structure, deltas, rolloutPolicy, { ...rollouts, seed: (seed + iteration * 1_000_003) >>> 0 });
    network = await fitRegretClassifier(data, structureFeatureCount(structure), deltas.length, { seed: seed + iteration, init: network, epochs: budget.epochs, log });
    const candidate = new NeuralOrderPolicy(structure, network, deltas, version);
    const cost = simulateSingleStage(config, candidate, path).averageCost;
    history.push({ iteration, cost });
    if (cost < bestCost) {
      best = candidate;
      bestCost = cost;
      bestIteration = iteration;
    }
    log(`api: iteration ${iteration}/${budget.iterations} greedy cost ${cost.toFixed(4)} (best ${bestCost.toFixed(4)} at ${bestIteration}), ${((Date.now() - started) / 1000).toFixed(1)} s`);
    rolloutPolicy = memoizePolicy(candidate, config.leadTime);
  }
  return {
    policy: best,
    structure,
    classical,
    training: { algorithm: 'api', history, bestIteration, bestCost, initialCost: classicalCost, seconds: (Date.now() - started) / 1000 },
  };
}

export interface LearnedSerial {
  policy: NeuralSerialPolicy;
  structure: EchelonStructure;
  ppo: PpoResult;
}

/** Learns corrections to echelon base-stock `levels` for a serial system with stationary demand. */
export async function trainSerialPolicy(
  config: SerialConfig,
  demand: DemandModel,
  levels: number[],
  options: { seed: number; budget?: Partial<TrainingBudget>; deltas?: number[]; ppo?: Partial<PpoOptions>; log?: (m: string) => void },
): Promise<LearnedSerial> {
  const budget = { ...DEFAULT_BUDGET, ...options.budget };
  const deltas = options.deltas ?? [-1, 0, 1];
  const structure: EchelonStructure = { kind: 'echelon-base-stock', levels, leadTimes: [...config.leadTimes], scale: Math.max(demand.mean, 1e-6) };
  const selection = { periods: budget.selectionPeriods, seed: (options.seed ^ 0x5bd1e995) >>> 0, warmup: 200, initialEchelon: levels };
  const version = `rl-ppo-echelon-${Date.now().toString(36)}`;
  const evaluate = (network: NeuralSerialPolicy['network']) => simulateSerial(config, new NeuralSerialPolicy(structure, network, deltas, version), demand, selection).averageCost;
  const classicalCost = simulateSerial(config, new EchelonBaseStockPolicy(levels), demand, selection).averageCost;
  const env = new SerialVectorEnv(config, demand, structure, deltas, budget.envs, options.seed, { shift: classicalCost, scale: classicalCost || 1 });
  const ppo = await trainPpo(env, evaluate, { deltas, iterations: budget.iterations, steps: budget.steps, seed: options.seed, log: options.log, ...options.ppo });
  return { policy: new NeuralSerialPolicy(structure, ppo.network, deltas, version), structure, ppo };
}
