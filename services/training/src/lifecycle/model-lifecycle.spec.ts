import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelLifecycleEvent } from '@storeloop/contracts';
import type { TopicProducer } from '@storeloop/messaging';
import { DEFAULT_PROPENSITY_MLP_CONFIG, FilesystemArtifactStore, SCORER_KIND, scorerArtifactFiles } from '@storeloop/ml';
import { createLogger, Registry } from '@storeloop/observability';
import { waitFor } from '@storeloop/testing';
import { MAX_PREVIOUS_CHAMPIONS, ModelLifecycle } from './model-lifecycle';
import { trainingMetrics } from './training-metrics';

/** A stored version with a real (tiny, untrained) scorer, so the lifecycle can load it as champion. */
async function storeVersion(store: FilesystemArtifactStore, version: string, createdAt: string): Promise<void> {
  const network = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], activation: 'sigmoid' })] });
  const files = await scorerArtifactFiles({
    network,
    featureNames: ['u.a'],
    standardizer: { featureNames: ['u.a'], means: [0], stds: [1] },
    calibrator: { method: 'none' },
    config: { ...DEFAULT_PROPENSITY_MLP_CONFIG, seed: 1 },
    training: { epochs: 1, bestEpoch: 1, bestValidationLoss: 0.6, history: [], calibration: { logLoss: { platt: 1, isotonic: 1, none: 1 }, chosen: 'none' }, trainRows: 1, validationRows: 1, backend: 'cpu' },
  });
  network.dispose();
  await store.put({
    metadata: {
      formatVersion: 1,
      modelName: 'ranker',
      version,
      kind: SCORER_KIND,
      createdAt,
      parentVersion: null,
      gitRevision: null,
      backend: 'cpu',
      dataWindow: { from: createdAt, to: createdAt, examples: 2, trainExamples: 1, holdoutExamples: 1, holdoutFrom: createdAt },
      metrics: { logLoss: 0.5 },
    },
    files,
  });
}

describe('ModelLifecycle', () => {
  let dir: string;
  let store: FilesystemArtifactStore;
  let sent: ModelLifecycleEvent[];
  let lifecycle: ModelLifecycle;
  /** Sends that fail before the producer works again. */
  let failSends: number;
  const newLifecycle = () =>
    new ModelLifecycle({
      modelName: 'ranker',
      store,
      producer: {
        send: async (_topic: string, records: { value: ModelLifecycleEvent }[]) => {
          if (failSends > 0) {
            failSends -= 1;
            throw new Error('KafkaJSNumberOfRetriesExceeded');
          }
          sent.push(...records.map((r) => r.value));
        },
      } as unknown as TopicProducer,
      logger: createLogger('test', 'silent'),
      metrics: trainingMetrics(new Registry()),
      backend: 'cpu',
      announceRetry: { attempts: 2, initialBackoffMs: 1, maxBackoffMs: 2 },
    });

  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifecycle-'));
    store = new FilesystemArtifactStore(dir);
    sent = [];
    failSends = 0;
    lifecycle = newLifecycle();
    await storeVersion(store, 'v1', '2026-11-01T00:00:00.000Z');
    await storeVersion(store, 'v2', '2026-11-02T00:00:00.000Z');
    await storeVersion(store, 'v3', '2026-11-03T00:00:00.000Z');
  });
  afterEach(async () => {
    lifecycle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('promotes versions, keeping the champions before, and states the champion in every event', async () => {
    await lifecycle.init();
    expect(lifecycle.current).toBeNull();
    await lifecycle.exclusive(() => lifecycle.promote('v1', 'first'));
    await lifecycle.exclusive(() => lifecycle.promote('v2', 'better'));
    await lifecycle.exclusive(() => lifecycle.promote('v3', 'better still'));
    expect(sent.map((e) => [e.stage, e.version, e.championVersion])).toEqual([
      ['promoted', 'v1', 'v1'],
      ['promoted', 'v2', 'v2'],
      ['promoted', 'v3', 'v3'],
    ]);
    expect(await store.readChampion('ranker')).toMatchObject({ version: 'v3', previous: ['v2', 'v1'] });
    expect(sent[2].artifactUri).toBe(store.uri('ranker', 'v3'));
  });

  it('rolls back one champion at a time, and a restarted lifecycle resumes from the pointer', async () => {
    await lifecycle.exclusive(() => lifecycle.promote('v1', 'first'));
    await lifecycle.exclusive(() => lifecycle.promote('v3', 'better'));
    const event = await lifecycle.exclusive(() => lifecycle.rollback('v3 hurt conversion'));
    expect(event).toMatchObject({ stage: 'rolled_back', version: 'v3', championVersion: 'v1', reason: 'v3 hurt conversion' });
    expect(await store.readChampion('ranker')).toMatchObject({ version: 'v1', previous: [] });

    const restarted = newLifecycle();
    await restarted.init();
    expect(restarted.current?.metadata.version).toBe('v1');
    await expect(restarted.exclusive(() => restarted.rollback('again'))).rejects.toMatchObject({ code: 'TRAINING.NO_PREVIOUS_CHAMPION' });
  });

  it('refuses unknown versions and re-promoting the champion, leaving the pointer as it was', async () => {
    await expect(lifecycle.exclusive(() => lifecycle.rollback('nothing yet'))).rejects.toMatchObject({ code: 'TRAINING.NO_CHAMPION' });
    await lifecycle.exclusive(() => lifecycle.promote('v2', 'first'));
    await expect(lifecycle.exclusive(() => lifecycle.promote('v9', 'typo'))).rejects.toMatchObject({ code: 'TRAINING.VERSION_NOT_FOUND' });
    await expect(lifecycle.exclusive(() => lifecycle.promote('v2', 'again'))).rejects.toMatchObject({ code: 'TRAINING.ALREADY_CHAMPION' });
    expect(await store.readChampion('ranker')).toMatchObject({ version: 'v2', previous: [] });
    expect(sent).toHaveLength(1);
  });

  it('retries a champion change whose event failed, inline and then in the background, before any later event', async () => {
    failSends = 1;
    await lifecycle.exclusive(() => lifecycle.promote('v1', 'first'));
    expect(sent.map((e) => [e.stage, e.version])).toEqual([['promoted', 'v1']]);

    // Every inline attempt fails: the pointer has moved, the event waits and is sent in the background.
    failSends = 3;
    const event = await lifecycle.exclusive(() => lifecycle.promote('v2', 'better'));
    // Before any I/O: the background retry (2 ms) may run during the pointer's read below on a slow machine.
    expect(lifecycle.pendingAnnouncements).toBe(1);
    expect(event).toMatchObject({ stage: 'promoted', version: 'v2', championVersion: 'v2' });
    expect(await store.readChampion('ranker')).toMatchObject({ version: 'v2' });
    await waitFor(async () => (lifecycle.pendingAnnouncements === 0 ? true : undefined), { timeoutMs: 5000, description: 'background announcement' });
    expect(sent.map((e) => [e.stage, e.version])).toEqual([
      ['promoted', 'v1'],
      ['promoted', 'v2'],
    ]);

    // A later event while one is pending: the pending one goes first; if it cannot, the later one fails too.
    // (No awaits on I/O between the failed rollback event and the publish: the background retry cannot slip in.)
    const metadata = (await store.get('ranker', 'v3'))!.metadata;
    failSends = 2;
    await lifecycle.exclusive(() => lifecycle.rollback('bad'));
    expect(lifecycle.pendingAnnouncements).toBe(1);
    failSends = 2;
    await expect(lifecycle.publish('trained', metadata, {})).rejects.toThrow(/not announced yet/);
    failSends = 0;
    await lifecycle.publish('trained', metadata, {});
    expect(sent.slice(2).map((e) => [e.stage, e.version, e.championVersion])).toEqual([
      ['rolled_back', 'v2', 'v1'],
      ['trained', 'v3', 'v1'],
    ]);
  });

  it('keeps at most MAX_PREVIOUS_CHAMPIONS earlier champions in the pointer', async () => {
    const older = Array.from({ length: MAX_PREVIOUS_CHAMPIONS + 5 }, (_, i) => `old-${i}`);
    await store.writeChampion({ modelName: 'ranker', version: 'v1', previous: older, updatedAt: '2026-11-05T00:00:00.000Z' });
    await lifecycle.init();
    await lifecycle.exclusive(() => lifecycle.promote('v2', 'better'));
    const pointer = await store.readChampion('ranker');
    expect(pointer?.previous).toEqual(['v1', ...older].slice(0, MAX_PREVIOUS_CHAMPIONS));
    expect(lifecycle.current?.previous).toHaveLength(MAX_PREVIOUS_CHAMPIONS);
  });

  it('frees the champion model on close', async () => {
    await lifecycle.exclusive(() => lifecycle.promote('v1', 'first'));
    const network = lifecycle.current!.model.network;
    const dispose = jest.spyOn(network, 'dispose');
    lifecycle.close();
    expect(dispose).toHaveBeenCalledTimes(1);
    expect(lifecycle.current).toBeNull();
  });
});
