import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisClient } from '@storeloop/feature-store';
import { FilesystemArtifactStore } from '@storeloop/ml';
import { Mlp, NeuralOrderPolicy, serializePolicy, structureFeatureCount, type ForecastBaseStockStructure, type InventoryState } from '@storeloop/supply-chain';
import { PolicyStore, type TrainingRun } from './policy-store';
import { loadLearnedPolicies, runToReplay } from './policy-versions';

const run = (version: string, outcome: TrainingRun['outcome'], artifact = outcome !== 'failed'): TrainingRun => ({
  version,
  outcome,
  startedAt: '2026-11-28T00:00:00.000Z',
  finishedAt: '2026-11-28T00:01:00.000Z',
  trainSeconds: 60,
  series: 3,
  testDays: 14,
  ...(artifact ? { artifactUri: `file:///models/repl/versions/${version}` } : {}),
});

describe('runToReplay', () => {
  // Newest first, as the store lists them: 4 failed, 3 rejected, 2 promoted (serving), 1 rejected.
  const runs = [run('4', 'failed'), run('3', 'rejected'), run('2', 'promoted'), run('1', 'rejected')];

  it('takes the promoted run before any newer rejected one', () => {
    expect(runToReplay(runs[2], runs)?.version).toBe('2');
  });

  it('takes the newest run with an artifact when none was promoted, skipping failed runs', () => {
    expect(runToReplay(null, runs)).toMatchObject({ version: '3', outcome: 'rejected' });
    expect(runToReplay(null, [run('2', 'failed'), run('1', 'rejected', false)])).toBeUndefined();
    expect(runToReplay(null, [])).toBeUndefined();
  });

  it('takes the version asked for, promoted or rejected, and nothing for a failed or unknown one', () => {
    expect(runToReplay(runs[2], runs, '1')).toMatchObject({ version: '1', outcome: 'rejected' });
    expect(runToReplay(runs[2], runs, '2')).toMatchObject({ version: '2', outcome: 'promoted' });
    expect(runToReplay(runs[2], runs, '4')).toBeUndefined();
    expect(runToReplay(runs[2], runs, '9')).toBeUndefined();
  });

  it('finds the promoted run after it left the kept runs', () => {
    const promoted = run('1', 'promoted');
    expect(runToReplay(promoted, [run('3', 'rejected'), run('2', 'rejected')], '1')).toBe(promoted);
  });
});

describe('loadLearnedPolicies', () => {
  const structure: ForecastBaseStockStructure = { kind: 'forecast-base-stock', params: { leadTime: 2, window: 5, safetyFactor: 0.7 }, unitFraction: 0.5 };
  const deltas = [-1, 0, 1];
  let dir = '';
  let store: PolicyStore;
  let artifacts: FilesystemArtifactStore;
  const window = { from: '2026-10-01T00:00:00.000Z', to: '2026-11-28T00:00:00.000Z', examples: 58, trainExamples: 44, holdoutExamples: 14, holdoutFrom: '2026-11-14T00:00:00.000Z' };

  /** A policy whose network always picks one delta, stored as training stores a run. */
  async function storePolicy(version: string, delta: number, stored = structure): Promise<NeuralOrderPolicy> {
    const network = new Mlp([structureFeatureCount(stored), 3, deltas.length]);
    network.params[network.params.length - 1][deltas.indexOf(delta)] = 1;
    const policy = new NeuralOrderPolicy(stored, network, deltas, version);
    await store.writeArtifact(serializePolicy(policy), { backend: 'cpu', parentVersion: null, dataWindow: window, metrics: {}, gitRevision: null });
    return policy;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'repl-policy-versions-'));
    artifacts = new FilesystemArtifactStore(dir);
    // Reading and writing artifacts never touches Redis.
    store = new PolicyStore({} as RedisClient, 'default', artifacts, 'replenishment-policy');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rebuilds the learned policy and the run's tuned base-stock from the artifact", async () => {
    const stored = await storePolicy('3', 1);
    const loaded = await loadLearnedPolicies(store, '3', 2);
    expect(loaded.classical.params).toEqual(structure.params);
    expect(loaded.forecastWindowDays).toBe(5);
    expect(loaded.learned.version).toBe('3');
    const state: InventoryState = { onHand: 4, pipeline: [2], demandMean: 6, demandStd: 2 };
    expect(loaded.learned.order(state)).toBe(stored.order(state));
    expect(loaded.learned.order(state)).not.toBe(loaded.classical.order(state));
  });

  it('refuses an artifact trained for another lead time, one that is not stored, and one whose bytes changed', async () => {
    await storePolicy('1', 0, { ...structure, params: { ...structure.params, leadTime: 3 } });
    await expect(loadLearnedPolicies(store, '1', 2)).rejects.toThrow('with lead time 3, not lead time 2');
    await expect(loadLearnedPolicies(store, '2', 2)).rejects.toThrow('replenishment-policy version 2 is not in the filesystem artifact store');
    await storePolicy('2', 0);
    await writeFile(join(dir, 'replenishment-policy', 'versions', '2', 'weights.bin'), new Uint8Array(8));
    await expect(loadLearnedPolicies(store, '2', 2)).rejects.toMatchObject({ code: 'ARTIFACT.CORRUPT' });
  });
});
