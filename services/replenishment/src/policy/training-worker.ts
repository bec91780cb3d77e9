import { parentPort, workerData } from 'node:worker_threads';
import { initTfBackend } from '@storeloop/ml';
import { errorMessage } from '@storeloop/observability';
import {
  NeuralOrderPolicy,
  evaluateOnHistories,
  serializePolicy,
  trainRealDemandPolicy,
  type DemandHistory,
  type RealDemandCosts,
} from '@storeloop/supply-chain';
import type { TrainingJobInput, TrainingJobResult } from './training-job';

/**
 * Lines the histories up on one calendar: each series ends on the last
 * completed day and starts on its first sale (`firstDay`), zeros before.
 */
export function alignHistories(series: readonly number[][]): DemandHistory[] {
  const days = Math.max(...series.map((s) => s.length));
  return series.map((s) => {
    const demand = new Array<number>(days - s.length).fill(0).concat(s);
    return { demand, firstDay: days - s.length };
  });
}

/** Days a rollout replays after its state (the library's default). */
const ROLLOUT_HORIZON = 10;
const FORECAST_WINDOWS = [7, 14, 28, 56];

/**
 * Forecast windows the shortest training series can carry: a rollout state
 * needs the window, three windows of warm-up and the horizon before the end.
 */
export function feasibleWindows(shortestTrainingDays: number): number[] {
  return FORECAST_WINDOWS.filter((window) => 4 * window + ROLLOUT_HORIZON < shortestTrainingDays);
}

/**
 * Trains on every day but the last `testDays`, then scores the learned and
 * the tuned classical policy on those held-out days: the evaluation that
 * decides promotion is on days neither policy was tuned or selected on.
 */
export async function trainAndEvaluate(input: TrainingJobInput): Promise<TrainingJobResult> {
  const started = Date.now();
  // The best TF.js backend present (TRAINING_BACKEND overrides), as the other trainers choose it.
  const backend = await initTfBackend();
  const histories = alignHistories(input.series);
  const days = histories[0].demand.length;
  const costs: RealDemandCosts = { leadTime: input.leadTimeDays, holdingRate: input.holdingCost, penaltyRate: input.penaltyCost };
  const train = { start: 0, end: days - input.testDays };
  const test = { start: train.end, end: days };
  const shortest = Math.min(...input.series.map((s) => s.length)) - input.testDays;
  const windows = feasibleWindows(shortest);
  if (windows.length === 0) throw new Error(`the shortest series has ${shortest} training days; at least ${4 * FORECAST_WINDOWS[0] + ROLLOUT_HORIZON + 1} are needed`);
  const trained = await trainRealDemandPolicy(histories, {
    costs,
    range: train,
    seed: input.seed,
    algorithm: input.algorithm,
    states: input.states,
    epochs: input.epochs,
    horizon: ROLLOUT_HORIZON,
    iterations: input.iterations,
    grid: { windows },
  });
  const structure = trained.policy.structure;
  const policy = new NeuralOrderPolicy(structure, trained.policy.network, trained.policy.deltas, input.version);
  const params = trained.baseStock.params;
  const learned = evaluateOnHistories(histories, policy, params, costs, test);
  const classical = evaluateOnHistories(histories, trained.baseStock, params, costs, test);
  const perSeriesDay = (cost: number, seriesDays: number) => (seriesDays > 0 ? cost / seriesDays : 0);
  const trainSeconds = (Date.now() - started) / 1000;
  const artifact = serializePolicy(policy, {
    algorithm: input.algorithm,
    backend: `${backend.backend} (${backend.package} ${backend.version})`,
    ...(input.algorithm === 'api' ? { states: input.states, epochs: input.epochs, horizon: ROLLOUT_HORIZON } : { iterations: input.iterations }),
    seed: input.seed,
    costs,
    series: histories.length,
    trainDays: train.end,
    testDays: input.testDays,
    classical: { policy: trained.baseStock.name, version: trained.baseStock.version, params },
    selection: trained.selection,
    trainSeconds,
    trainedAt: new Date().toISOString(),
  });
  return {
    artifact,
    testDays: input.testDays,
    learned: { cost: perSeriesDay(learned.cost, learned.days), fillRate: learned.fillRate },
    classical: { cost: perSeriesDay(classical.cost, classical.days), fillRate: classical.fillRate },
    trainSeconds,
    backend: backend.backend,
  };
}

if (parentPort) {
  const port = parentPort;
  trainAndEvaluate(workerData as TrainingJobInput).then(
    (result) => port.postMessage({ ok: true, result }, [result.artifact.weights.buffer as ArrayBuffer]),
    (error: unknown) => port.postMessage({ ok: false, error: errorMessage(error) }),
  );
}
