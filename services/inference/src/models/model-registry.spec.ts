import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemArtifactStore, type NewArtifact, type StoredArtifact } from '@storeloop/ml';
import { createLogger } from '@storeloop/observability';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { TopicNamer } from '@storeloop/messaging';
import { loadInferenceConfig } from '../config';
import { ModelRegistry } from './model-registry';
import { ModelLoadError, type ServingModel } from './serving-model';

function artifact(version: string, createdAt: string): NewArtifact {
  return {
    metadata: {
      formatVersion: 1,
      modelName: 'ranker',
      version,
      kind: 'mlp-scorer',
      createdAt,
      parentVersion: null,
      gitRevision: null,
      backend: 'cpu',
      dataWindow: { from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z', examples: 10, trainExamples: 8, holdoutExamples: 2, holdoutFrom: '2026-11-01T20:00:00.000Z' },
      metrics: { logLoss: 0.4 },
      details: {},
    },
    files: { 'model.json': new TextEncoder().encode(version) },
  };
}

describe('ModelRegistry', () => {
  let dir: string;
  let store: FilesystemArtifactStore;
  let builds: string[];
  const build = async (stored: StoredArtifact): Promise<ServingModel> => {
    builds.push(stored.metadata.version);
    if (stored.metadata.version === 'v-bad') throw new ModelLoadError('INFERENCE.MODEL_INVALID', 'bad weights');
    return { modelName: 'ranker', version: stored.metadata.version, metadata: stored.metadata, scorer: null, embeddings: null, segments: null, loadedAt: new Date().toISOString() };
  };
  const registryWith = (env: Record<string, string>) =>
    new ModelRegistry({
      settings: loadInferenceConfig(env).inference,
      kafka: {} as Kafka,
      namer: new TopicNamer(''),
      store,
      logger: createLogger('test', 'silent'),
      registry: new Registry(),
      build,
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'registry-'));
    store = new FilesystemArtifactStore(dir);
    builds = [];
    await store.put(artifact('v1', '2026-11-28T10:00:00.000Z'));
    await store.put(artifact('v2', '2026-11-28T11:00:00.000Z'));
    await store.writeChampion({ modelName: 'ranker', version: 'v1', previous: [], updatedAt: '2026-11-28T10:30:00.000Z' });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the champion named by the pointer and nothing else without a challenger', async () => {
    const registry = registryWith({});
    expect(registry.choose('default', 'u1')).toBeNull();
    await registry.reload();
    expect(registry.champion?.version).toBe('v1');
    expect(registry.challenger).toBeNull();
    expect(registry.choose('default', 'u1')).toMatchObject({ arm: 'champion', model: { version: 'v1' } });
  });

  it('splits users stably between champion and the latest challenger, then reuses the challenger when it is promoted', async () => {
    const registry = registryWith({ INFERENCE_CHALLENGER: 'latest', INFERENCE_CHALLENGER_SHARE: '0.3' });
    await registry.reload();
    expect(registry.challenger?.version).toBe('v2');
    const arms = Array.from({ length: 2000 }, (_, i) => registry.choose('default', `user-${i}`)!.arm);
    const share = arms.filter((arm) => arm === 'challenger').length / arms.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    for (let i = 0; i < 50; i += 1) expect(registry.choose('default', `user-${i}`)!.arm).toBe(arms[i]);

    await store.writeChampion({ modelName: 'ranker', version: 'v2', previous: ['v1'], updatedAt: '2026-11-28T11:30:00.000Z' });
    await registry.reload();
    expect(registry.champion?.version).toBe('v2');
    // v1 is older than the champion: no longer a challenger.
    expect(registry.challenger).toBeNull();
    expect(builds).toEqual(['v1', 'v2']);
  });

  it('keeps serving when a version cannot load, and does not retry an invalid one', async () => {
    const registry = registryWith({});
    await registry.reload();
    await store.put(artifact('v-bad', '2026-11-28T12:00:00.000Z'));
    await store.writeChampion({ modelName: 'ranker', version: 'v-bad', previous: ['v1'], updatedAt: '2026-11-28T12:30:00.000Z' });
    await registry.reload();
    await registry.reload();
    expect(registry.champion?.version).toBe('v1');
    expect(builds.filter((version) => version === 'v-bad')).toHaveLength(1);
    expect(registry.status().failedVersions).toEqual({ 'v-bad': expect.stringContaining('bad weights') });
  });

  const event = (stage: 'promoted' | 'rejected' | 'rolled_back' | 'trained', version: string, championVersion: string) => ({
    modelName: 'ranker',
    version,
    stage,
    championVersion,
    metrics: {},
    artifactUri: `file:///tmp/${version}`,
    backend: 'cpu',
    at: '2026-11-28T12:00:00.000Z',
  });

  it('learns from lifecycle history without replaying old promotions, and never challenges with a rejected or rolled-back version', async () => {
    const registry = registryWith({ INFERENCE_CHALLENGER: 'latest', INFERENCE_CHALLENGER_SHARE: '0.5' });
    await store.put(artifact('v3', '2026-11-28T12:00:00.000Z'));
    // History from before this instance started: v3 was rolled back; an old promotion of v2 must not be applied.
    await registry.observe(event('promoted', 'v2', 'v2'), true);
    await registry.observe(event('rolled_back', 'v3', 'v1'), true);
    await registry.reload();
    expect(registry.champion?.version).toBe('v1');
    expect(registry.challenger?.version).toBe('v2');
    // A live rejection of the challenger retires it; nothing newer is left to challenge.
    await registry.observe(event('rejected', 'v2', 'v1'), false);
    expect(registry.challenger).toBeNull();
    // A live promotion is applied.
    await registry.observe(event('promoted', 'v3', 'v3'), false);
    expect(registry.champion?.version).toBe('v3');
    expect(builds).toEqual(['v1', 'v2', 'v3']);
  });
});
