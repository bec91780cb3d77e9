import * as tf from '@tensorflow/tfjs';
import { loadScorerArtifact, mulberry32, scorerArtifactFiles } from '@storeloop/ml';
import type { WindowedExample } from '../window/example-window';
import { baselineMetrics, featureLayout, featureRows, holdoutMetrics, score, trainingSummary, trainScorer } from './scorer';

const example = (id: number, user: Record<string, number>, item: Record<string, number>, label: 0 | 1): WindowedExample => ({
  id: String(id),
  tenant: 'default',
  userId: `u${id % 7}`,
  sku: `s${id % 5}`,
  eventTimeMs: id,
  label,
  user,
  item,
  arrivedAtMs: 0,
});

describe('scorer features', () => {
  it('orders columns by name with user and item prefixes, and fills a missing feature with 0', () => {
    const examples = [example(1, { b: 2, a: 1 }, { price: 5 }, 1), example(2, { c: 3 }, {}, 0)];
    const layout = featureLayout(examples);
    expect(layout).toEqual(['i.price', 'u.a', 'u.b', 'u.c']);
    expect(featureRows(layout, examples)).toEqual([
      [5, 1, 2, 0],
      [0, 0, 0, 3],
    ]);
  });
});

describe('holdout metrics', () => {
  it('reports log loss, calibration and AUC, and leaves AUC out for a one-class holdout', () => {
    const m = holdoutMetrics([0.9, 0.2, 0.7, 0.4], [1, 0, 1, 0]);
    expect(m).toMatchObject({ auc: 1, examples: 4, positiveRate: 0.5 });
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.7) + Math.log(0.6)) / 4, 10);
    expect(holdoutMetrics([0.9, 0.8], [1, 1]).auc).toBeUndefined();
  });

  it('scores the base-rate predictor with the training positive rate', () => {
    const m = baselineMetrics([1, 0, 0, 0], [1, 0]);
    expect(m.auc).toBe(0.5);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.25) + Math.log(0.75)) / 2, 10);
  });
});

describe('trainScorer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // A real (small) fit on the cpu backend: seconds on a loaded 2-core machine, hence the timeout.
  it('learns a separable signal and scores the same after a save and load', async () => {
    const random = mulberry32(3);
    const examples = Array.from({ length: 240 }, (_, i) => {
      const signal = random() * 2 - 1;
      return example(i, { signal, noise: random() }, { price: random() * 10 }, signal > 0 ? 1 : 0);
    });
    const model = await trainScorer({ train: examples.slice(0, 160), validation: examples.slice(160, 200), maxEpochs: 8, batchSize: 64, learningRate: 0.02, patience: 5, seed: 1 });
    const holdout = examples.slice(200);
    const probs = score(model, holdout);
    const metrics = holdoutMetrics(probs, holdout.map((e) => e.label));
    expect(metrics.auc).toBeGreaterThan(0.9);
    const reloaded = await loadScorerArtifact(new Map(Object.entries(await scorerArtifactFiles(model))));
    expect(reloaded.featureNames).toEqual(['i.price', 'u.noise', 'u.signal']);
    score(reloaded, holdout).forEach((p, i) => expect(p).toBeCloseTo(probs[i], 6));
    model.network.dispose();
    reloaded.network.dispose();
  }, 30_000);

  // Labels are noise, so patience 2 usually stops early: the curve must follow the epochs actually trained.
  it('records the loss curve of every epoch trained, with the validation loss of the best epoch', async () => {
    const random = mulberry32(11);
    const examples = Array.from({ length: 120 }, (_, i) => example(i, { a: random(), b: random() }, { price: random() }, random() < 0.5 ? 1 : 0));
    const epochsSeen: number[] = [];
    const model = await trainScorer({
      train: examples.slice(0, 80),
      validation: examples.slice(80),
      maxEpochs: 40,
      batchSize: 32,
      learningRate: 0.05,
      patience: 2,
      seed: 5,
      onEpoch: (progress) => epochsSeen.push(progress.epoch),
    });
    const summary = trainingSummary(model);
    model.network.dispose();
    expect(summary.epochs).toBe(epochsSeen.length);
    expect(summary.epochs).toBeLessThan(40);
    expect(summary.curve).toHaveLength(summary.epochs);
    expect(summary.curve.map((point) => point.epoch)).toEqual(epochsSeen);
    for (const point of summary.curve) {
      expect(Number.isFinite(point.loss)).toBe(true);
      expect(Number.isFinite(point.validationLoss)).toBe(true);
    }
    expect(summary.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(summary.curve[summary.bestEpoch - 1].validationLoss).toBe(summary.validationLoss);
    expect(Math.min(...summary.curve.map((point) => point.validationLoss))).toBe(summary.validationLoss);
    // Survives the JSON round trip the artifact store's metadata.json makes.
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  }, 30_000);
});
