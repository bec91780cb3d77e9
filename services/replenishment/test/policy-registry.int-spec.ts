import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { applyEventBatch, createRedis, loadRedisSettings, type RedisClient } from '@storeloop/feature-store';
import { FilesystemArtifactStore } from '@storeloop/ml';
import { createLogger } from '@storeloop/observability';
import { ForecastBaseStockPolicy, Mlp, NeuralOrderPolicy, serializePolicy, structureFeatureCount, type ForecastBaseStockStructure, type InventoryState } from '@storeloop/supply-chain';
import { deleteRedisKeysWithPrefix, uniqueSuffix } from '@storeloop/testing';
import { loadReplenishmentConfig } from '../src/config';
import { ReplenishmentMetrics } from '../src/metrics';
import { LOAD_RETRY_MS, PolicyRegistry, type TrainingRunner } from '../src/policy/policy-registry';
import type { TrainingJobInput } from '../src/policy/training-job';
import { ReplenishmentStore } from '../src/store/replenishment-store';
import { salesAndCount } from './support/world';

const DELTAS = [-2, -1, 0, 1, 2];
const DAY_MS = 86_400_000;
const utcDay = (ms: number) => Math.floor(ms / DAY_MS);
const structure: ForecastBaseStockStructure = { kind: 'forecast-base-stock', params: { leadTime: 2, window: 14, safetyFactor: 1.5 }, unitFraction: 0.5 };

/** A learned policy that always adds one correction unit to the base-stock order. */
function alwaysOneMore(version: string): NeuralOrderPolicy {
  const network = new Mlp([structureFeatureCount(structure), 4, DELTAS.length]);
  network.params[network.params.length - 1][DELTAS.indexOf(1)] = 1;
  return new NeuralOrderPolicy(structure, network, DELTAS, version);
}

/**
 * The policy registry against real Redis and a real artifact directory, with
 * the learning itself replaced (the training worker has its own tests): what
 * is promoted, written, loaded back and acted with, and what is not.
 */
describe('policy registry (real Redis and artifact directory)', () => {
  const url = process.env.REDIS_URL as string;
  const prefix = `it:repl-policy:${uniqueSuffix()}:`;
  let redis: RedisClient;
  let modelDir: string;
  /** When the sales were seeded: they end on the day before, so each UTC midnight since adds a (salesless) day to the history. */
  let seededAtMs: number;
  const inputs: TrainingJobInput[] = [];
  let scores = { learned: { cost: 1, fillRate: 0.97 }, classical: { cost: 2, fillRate: 0.96 } };
  const runner: TrainingRunner = async (input) => {
    inputs.push(input);
    return { artifact: serializePolicy(alwaysOneMore(input.version)), testDays: input.testDays, ...scores, trainSeconds: 0.1, backend: 'cpu' };
  };

  function registry(): PolicyRegistry {
    const settings = loadReplenishmentConfig({ REPLENISHMENT_RETRAIN_INTERVAL_MS: '0' }).replenishment;
    const store = new ReplenishmentStore(redis, settings.REPLENISHMENT_TENANT, settings.REPLENISHMENT_ORDER_RETENTION_DAYS);
    const artifacts = new FilesystemArtifactStore(modelDir);
    return new PolicyRegistry(redis, settings, createLogger('test', 'silent'), runner, artifacts, store, new ReplenishmentMetrics(new Registry()));
  }

  beforeAll(async () => {
    redis = createRedis(loadRedisSettings({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix }), 'it-repl-policy');
    modelDir = await mkdtemp(join(tmpdir(), 'repl-registry-'));
    // 100 days of sales of one pair in the feature store, and the pair active.
    seededAtMs = Date.now();
    const events = salesAndCount('reg', 'SKU-R', 'S1', { days: 100, unitsPerDay: 4, onHand: 3, onOrder: 0, nowMs: seededAtMs });
    await applyEventBatch(
      redis,
      events.map((event, i) => ({ event, topic: 'events', partition: 0, offset: String(i) })),
      { offsetNamespace: 'test' },
    );
    const store = new ReplenishmentStore(redis, 'default', 30);
    await store.markActive(new Map([['r', { pair: { sku: 'SKU-R', store: 'S1' }, atMs: Date.now(), offset: 0n }]]), 0);
  });

  afterAll(async () => {
    redis.disconnect();
    await deleteRedisKeysWithPrefix(url, prefix);
    await rm(modelDir, { recursive: true, force: true });
  });

  it('acts with the classical policy before any training', async () => {
    const acting = await registry().acting();
    expect(acting.learned).toBeUndefined();
    expect(acting).toMatchObject({ classical: { name: 'forecast-base-stock' }, forecastWindowDays: 28 });
  });

  it('promotes a better run: writes the artifact, and every instance acts with it and its tuned classical policy', async () => {
    const trainer = registry();
    const dayBefore = utcDay(Date.now());
    const run = await trainer.train();
    const dayAfter = utcDay(Date.now());
    expect(run).toMatchObject({ version: '1', outcome: 'promoted', series: 1, artifactUri: new FilesystemArtifactStore(modelDir).uri('replenishment-policy', '1') });
    // 100 days of sales, plus a day per UTC midnight passed since the seeding (a run across midnight stays right).
    const seededDay = utcDay(seededAtMs);
    expect(inputs[0].series[0].length).toBeGreaterThanOrEqual(100 + dayBefore - seededDay);
    expect(inputs[0].series[0].length).toBeLessThanOrEqual(100 + dayAfter - seededDay);
    const stored = await new FilesystemArtifactStore(modelDir).list('replenishment-policy');
    expect(stored.map((m) => [m.version, m.kind, m.backend, m.metrics.learnedCost, m.metrics.classicalCost, m.dataWindow.holdoutExamples])).toEqual([['1', 'storeloop.order-policy', 'cpu', 1, 2, 28]]);
    expect(await new FilesystemArtifactStore(modelDir).readChampion('replenishment-policy')).toMatchObject({ version: '1' });

    const other = registry();
    await other.refresh();
    const acting = await other.acting();
    expect(acting.forecastWindowDays).toBe(14);
    expect(acting.classical.version).toBe(new ForecastBaseStockPolicy(structure.params).version);
    const state: InventoryState = { onHand: 3, pipeline: [0], demandMean: 4, demandStd: 2 };
    expect(acting.learned?.version).toBe('1');
    expect(acting.learned?.order(state)).toBe(alwaysOneMore('1').order(state));
    expect(acting.learned?.order(state)).toBe(acting.classical.order(state) + 2);
  });

  it('keeps the promoted policy when a run does not beat the classical one, and records the run', async () => {
    scores = { learned: { cost: 1, fillRate: 0.9 }, classical: { cost: 2, fillRate: 0.96 } };
    const trainer = registry();
    expect(await trainer.train()).toMatchObject({ version: '2', outcome: 'rejected' });
    expect(await new FilesystemArtifactStore(modelDir).readChampion('replenishment-policy')).toMatchObject({ version: '1' });
    expect((await trainer.runs()).map((r) => [r.version, r.outcome])).toEqual([
      ['2', 'rejected'],
      ['1', 'promoted'],
    ]);
    expect((await trainer.acting()).learned?.version).toBe('1');
  });

  it('falls back to the classical policy when the promoted artifact cannot be read, and loads it once it can', async () => {
    const weightsPath = join(modelDir, 'replenishment-policy', 'versions', '1', 'weights.bin');
    const weights = await readFile(weightsPath);
    await writeFile(weightsPath, Buffer.from([1, 2, 3]));
    const reader = registry();
    const nowMs = Date.now();
    const acting = await reader.acting(nowMs);
    expect(acting.learned).toBeUndefined();
    expect(acting.classical.version).toBe(registry().defaultClassicalPolicy.version);

    // The artifact is readable again (a transient store error is over): the same instance loads it on its next try.
    await writeFile(weightsPath, weights);
    await reader.refresh(nowMs + 1);
    expect((await reader.acting(nowMs + 1)).learned).toBeUndefined();
    await reader.refresh(nowMs + LOAD_RETRY_MS);
    expect((await reader.acting(nowMs + LOAD_RETRY_MS)).learned?.version).toBe('1');
  });
});
