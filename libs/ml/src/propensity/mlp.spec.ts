import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auc, type BinaryLabel } from '../classification-metrics';
import { mulberry32 } from '../random';
import { initTfBackend } from '../tf/backend';
import {
  loadPropensityModel,
  loadPropensityModelFromDirectory,
  PROPENSITY_ARTIFACT_FORMAT,
  savePropensityModelToDirectory,
  serializePropensityModel,
} from './artifact';
import { disposePropensityModel, predictPropensity, predictPropensityRaw, trainPropensityMlp, type PropensityMlpModel } from './mlp';

/** Buyers are recent and frequent, with an interaction a linear model misses. */
function synthetic(n: number, seed: number): { rows: number[][]; labels: BinaryLabel[] } {
  const random = mulberry32(seed);
  const rows: number[][] = [];
  const labels: BinaryLabel[] = [];
  for (let i = 0; i < n; i += 1) {
    const recency = random() * 40;
    const frequency = Math.floor(random() * 8);
    const spend = 10 + random() * 100;
    const z = 1.5 - recency / 10 + 0.6 * frequency - (frequency > 4 && recency > 20 ? 2 : 0);
    rows.push([recency, frequency, spend]);
    labels.push(random() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
  }
  return { rows, labels };
}

// Real TF.js training on the cpu backend: seconds, but more than jest's 5 s default on a busy machine.
jest.setTimeout(60_000);

describe('propensity MLP', () => {
  const featureNames = ['recency', 'frequency', 'spend'];
  const train = synthetic(500, 1);
  const validation = synthetic(300, 2);
  const test = synthetic(300, 3);
  let model: PropensityMlpModel;
  const epochs: number[] = [];

  beforeAll(async () => {
    // wasm (XNNPACK) trains this net several times faster than the pure-JS cpu backend.
    await initTfBackend({ preferred: 'wasm' });
    model = await trainPropensityMlp({
      featureNames,
      train,
      validation,
      config: { seed: 7, maxEpochs: 8, patience: 3, batchSize: 50, learningRate: 3e-3 },
      onEpoch: ({ epoch }) => epochs.push(epoch),
    });
  });

  afterAll(() => disposePropensityModel(model));

  it('learns a ranking far better than chance and reports its training', () => {
    const probs = predictPropensity(model, test.rows);
    expect(auc(probs, test.labels)).toBeGreaterThan(0.8);
    probs.forEach((p) => expect(p > 0 && p < 1).toBe(true));
    expect(epochs).toEqual(Array.from({ length: model.training.epochs }, (_, i) => i + 1));
    expect(model.training.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(model.training.history[model.training.bestEpoch - 1].validationLoss).toBe(model.training.bestValidationLoss);
    expect(['platt', 'isotonic', 'none']).toContain(model.training.calibration.chosen);
    expect(model.calibrator.method).toBe(model.training.calibration.chosen);
    expect(model.network.layers.map((l) => (l.getConfig() as { units?: number }).units)).toEqual([128, 64, 1]);
  });

  it('is reproducible for a seed', async () => {
    const again = await trainPropensityMlp({
      featureNames,
      train,
      validation,
      config: { seed: 7, maxEpochs: 8, patience: 3, batchSize: 50, learningRate: 3e-3 },
    });
    expect(predictPropensityRaw(again, test.rows.slice(0, 5))).toEqual(predictPropensityRaw(model, test.rows.slice(0, 5)));
    disposePropensityModel(again);
  });

  it('round-trips through the artifact format (bytes and directory)', async () => {
    const artifact = await serializePropensityModel(model);
    expect(artifact.manifest.format).toBe(PROPENSITY_ARTIFACT_FORMAT);
    // 3*128 + 128 + 128*64 + 64 + 64 + 1 float32 weights
    expect(artifact.weights.byteLength).toBe((3 * 128 + 128 + 128 * 64 + 64 + 64 + 1) * 4);
    // Through JSON text, as a store would keep the manifest.
    const restored = await loadPropensityModel({ manifest: JSON.parse(JSON.stringify(artifact.manifest)), weights: artifact.weights });
    expect(predictPropensity(restored, test.rows)).toEqual(predictPropensity(model, test.rows));
    disposePropensityModel(restored);

    const directory = await mkdtemp(join(tmpdir(), 'propensity-'));
    try {
      await savePropensityModelToDirectory(model, directory);
      const fromDisk = await loadPropensityModelFromDirectory(directory);
      expect(predictPropensity(fromDisk, test.rows.slice(0, 10))).toEqual(predictPropensity(model, test.rows.slice(0, 10)));
      expect(fromDisk.featureNames).toEqual(featureNames);
      disposePropensityModel(fromDisk);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('does not compare calibrators on a tiny validation set', async () => {
    const tiny = await trainPropensityMlp({
      featureNames,
      train,
      validation: { rows: validation.rows.slice(0, 10), labels: validation.labels.slice(0, 10) },
      config: { seed: 7, maxEpochs: 2, batchSize: 100 },
    });
    expect(tiny.training.calibration.chosen).toBe('none');
    expect(tiny.training.calibration.logLoss.platt).toBeNaN();
    disposePropensityModel(tiny);
  });

  it('rejects foreign or truncated artifacts and bad inputs', async () => {
    const artifact = await serializePropensityModel(model);
    await expect(loadPropensityModel({ ...artifact, manifest: { ...artifact.manifest, format: 'x' as never } })).rejects.toThrow(/not a propensity artifact/);
    await expect(loadPropensityModel({ ...artifact, weights: artifact.weights.slice(4) })).rejects.toThrow(/weights hold/);
    await expect(
      trainPropensityMlp({ featureNames, train, validation: { rows: [[1, 2]], labels: [1] }, config: { seed: 1 } }),
    ).rejects.toThrow(/validation.rows\[0\] has 2 columns, expected 3/);
    await expect(trainPropensityMlp({ featureNames, train, validation, config: { seed: 1, dropout: 1 } })).rejects.toThrow(/dropout must be in/);
    expect(() => predictPropensity(model, [[1, 2, Number.NaN]])).toThrow(/must be a finite number/);
  });
});
