import { ForecastBaseStockPolicy, deserializePolicy, type ForecastBaseStockStructure, type OrderPolicy } from '@storeloop/supply-chain';
import type { PolicyStore, TrainingRun } from './policy-store';

/** A stored learned policy, the classical policy tuned in the same run (the baseline it corrects), and the forecast window they share. */
export interface LearnedPolicies {
  learned: OrderPolicy;
  classical: ForecastBaseStockPolicy;
  forecastWindowDays: number;
}

/**
 * Reads a version's artifact (digests checked by the artifact store) and
 * rebuilds its learned policy and the tuned classical policy whose
 * parameters the artifact carries. Refuses an artifact trained for another
 * lead time: its state features would not describe this service's pipeline.
 */
export async function loadLearnedPolicies(store: PolicyStore, version: string, leadTimeDays: number): Promise<LearnedPolicies> {
  const { metadata, weights } = await store.readArtifact(version);
  const learned = deserializePolicy(metadata, weights);
  const structure = metadata.structure as ForecastBaseStockStructure;
  if (structure.kind !== 'forecast-base-stock' || structure.params.leadTime !== leadTimeDays) {
    throw new Error(`artifact ${metadata.version} was trained for ${structure.kind} with lead time ${String((structure as ForecastBaseStockStructure).params?.leadTime)}, not lead time ${leadTimeDays}`);
  }
  return { learned, classical: new ForecastBaseStockPolicy(structure.params), forecastWindowDays: structure.params.window };
}

/** A training run that stored a policy: failed runs store none. */
export type StoredRun = TrainingRun & { outcome: 'promoted' | 'rejected'; artifactUri: string };

const stored = (run: TrainingRun | null): run is StoredRun => run !== null && run.outcome !== 'failed' && typeof run.artifactUri === 'string';

/**
 * The run whose policy a simulation replays: `version` when asked (any run
 * with an artifact, promoted or rejected), else the promoted run, else the
 * newest run with an artifact (`runs` is newest first). Undefined when none
 * fits. The promoted run is looked at apart from `runs`, which keeps only
 * the last few.
 */
export function runToReplay(promoted: TrainingRun | null, runs: readonly TrainingRun[], version?: string): StoredRun | undefined {
  const candidates = [promoted, ...runs].filter(stored);
  return version === undefined ? candidates[0] : candidates.find((run) => run.version === version);
}
