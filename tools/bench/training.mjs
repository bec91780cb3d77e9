// `npm run bench -- training`: TF.js training throughput on each backend this
// machine has (cpu, wasm; tensorflow / GPU when tfjs-node(-gpu) is installed),
// in-process, no Kafka or Redis.
//
// Measured (medians of --repeats runs; samples/s):
// - embedding: the 32-dim user/item embedding dot-product model (943 x 1,682,
//   Adam, BCE, batch 256) with our scatter-add UnsortedSegmentSum and with
//   tfjs's own kernel (cpu; wasm has none: it cannot train this model at all);
// - mlp: the propensity MLP (dense 128 ReLU, 64 ReLU, 1 sigmoid; Adam; BCE),
//   built with tf.layers, 20 input features, batch 256, model.fit;
// - recommender: ELSA epochs on MovieLens-100K's train split (interactions/s);
// - scaling: synthetic catalogues of 10,000 and 100,000 items: ELSA seconds
//   per step and per 1,000 users, tensor and RSS memory; EASE measured at
//   small sizes with its O(n³) time and O(n²) memory extrapolated (it cannot
//   run at 100,000 items: 80 GB for the Gram matrix alone);
// - goal: seconds to reach nDCG@10 >= 0.48 on the MovieLens protocol
//   (tools/eval/movielens.mjs), for our default model (EASE) and for ELSA.
// The machine is shared: figures are contended unless the quiet wait succeeded.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureBuilt, log, machineInfo, require, root, round, table, waitQuiet, writeResult } from './lib.mjs';

const median = (values) => {
  const sorted = values.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

/** samples/s of `steps` optimiser steps of the embedding dot-product model (after one warm-up step). */
function embeddingRun(tf, { steps, users = 943, items = 1682, dim = 32, batch = 256, seed }) {
  const U = tf.variable(tf.randomNormal([users, dim], 0, 0.1, 'float32', seed));
  const V = tf.variable(tf.randomNormal([items, dim], 0, 0.1, 'float32', seed + 1));
  const optimizer = tf.train.adam(0.01);
  const step = (i) =>
    tf.tidy(() => {
      const u = tf.randomUniform([batch], 0, users, 'int32', seed + 2 * i);
      const v = tf.randomUniform([batch], 0, items, 'int32', seed + 2 * i + 1);
      const y = tf.randomUniform([batch], 0, 1, 'float32', seed + i).round();
      optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, tf.sum(tf.mul(tf.gather(U, u), tf.gather(V, v)), 1)));
      U.dataSync(); // wait for the step (matters on async backends)
    });
  try {
    step(0);
    const start = process.hrtime.bigint();
    for (let i = 1; i <= steps; i += 1) step(i);
    return (steps * batch) / seconds(start);
  } finally {
    tf.dispose([U, V]);
    optimizer.dispose();
  }
}

/** samples/s of model.fit over `samples` synthetic rows (one epoch after a warm-up batch). */
async function mlpRun(tf, { samples, features = 20, batch = 256, seed }) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [features], units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  const x = tf.randomNormal([samples, features], 0, 1, 'float32', seed);
  const y = tf.tidy(() => tf.greater(tf.sum(x.slice([0, 0], [samples, 3]), 1, true), 0).toFloat());
  try {
    await model.fit(x.slice([0, 0], [batch, features]), y.slice([0, 0], [batch, 1]), { batchSize: batch, epochs: 1, verbose: 0 });
    const start = process.hrtime.bigint();
    await model.fit(x, y, { batchSize: batch, epochs: 1, verbose: 0, shuffle: true });
    return samples / seconds(start);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

/** A synthetic implicit matrix: Zipf-like item popularity, `perUser` distinct items each. */
function syntheticMatrix(ml, { users, items, perUser, seed }) {
  const random = ml.mulberry32(seed);
  const rows = [];
  const itemIds = Array.from({ length: items }, (_, i) => `i${i}`);
  for (let u = 0; u < users; u += 1) {
    const seen = new Set();
    while (seen.size < perUser) seen.add(Math.min(items - 1, Math.floor(items * random() ** 3)));
    for (const i of seen) rows.push({ userId: `u${u}`, itemId: itemIds[i] });
  }
  return ml.buildImplicitMatrix(rows, itemIds);
}

/** ELSA at one catalogue size: seconds per step, per 1,000 users, and memory. */
function elsaScaling(tf, ml, { items, users, perUser, factors, batchSize, steps, seed }) {
  const matrix = syntheticMatrix(ml, { users: steps * batchSize, items, perUser, seed });
  const rssBefore = process.memoryUsage().rss;
  let peakTensorBytes = 0;
  const stepSeconds = [];
  let last = process.hrtime.bigint();
  const model = ml.fitElsa(matrix, {
    factors,
    batchSize,
    epochs: 1,
    seed,
    onEpoch: () => {
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
      stepSeconds.push(seconds(last));
    },
  });
  const epochSeconds = stepSeconds[0];
  return {
    items,
    factors,
    batchSize,
    usersTrained: matrix.userIds.length,
    interactionsPerUser: perUser,
    secondsPerStep: round(epochSeconds / steps, 3),
    secondsPer1000Users: round((epochSeconds / matrix.userIds.length) * 1000, 2),
    samplesPerSec: round(matrix.nnz / epochSeconds, 0),
    weightsMiB: round((items * factors * 4) / 2 ** 20, 1),
    trainingStateMiB: round((items * factors * 4 * 3) / 2 ** 20, 1), // A plus Adam's two moments
    rssGrowthMiB: round((process.memoryUsage().rss - rssBefore) / 2 ** 20, 1),
    liveTensorMiBAfter: round(peakTensorBytes / 2 ** 20, 1),
    users,
    estimatedEpochSeconds: round((epochSeconds / matrix.userIds.length) * users, 0),
    artifactMiB: round(model.toArtifact().weights.byteLength / 2 ** 20, 1),
  };
}

function easeScaling(ml, { items, users, perUser, seed }) {
  const matrix = syntheticMatrix(ml, { users, items, perUser, seed });
  const rssBefore = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  ml.fitEase(matrix, { maxItems: items });
  return { items, seconds: round(seconds(start), 2), rssGrowthMiB: round((process.memoryUsage().rss - rssBefore) / 2 ** 20, 1), workMiB: round((items * items * 12) / 2 ** 20, 1) };
}

/** Seconds until nDCG@10 >= goal on the MovieLens protocol, for EASE (one fit) and ELSA (checked after each epoch). */
function goalRuns(ml, { file, seed, goal, elsaEpochs, elsaFactors }) {
  const data = ml.loadInterFile(file);
  const { train, test } = ml.stratifiedSplitByUser(data.interactions, 0.25, seed);
  const matrix = ml.buildImplicitMatrix(train);
  const history = new Map();
  for (const { userId, itemId } of train) history.set(userId, [...(history.get(userId) ?? []), itemId]);
  const relevant = new Map();
  for (const { userId, itemId } of test) relevant.set(userId, (relevant.get(userId) ?? new Set()).add(itemId));
  const ndcg = (model) => {
    const perUser = new Map();
    for (const [u, rel] of relevant) perUser.set(u, { ranked: model.recommend(history.get(u) ?? [], 10).map((s) => s.itemId), relevant: rel });
    return ml.evaluateRanking(perUser, 10).ndcg;
  };
  let start = process.hrtime.bigint();
  const ease = ml.fitEase(matrix, { lambda: 400 });
  const easeSeconds = seconds(start);
  const easeNdcg = ndcg(ease);

  // ELSA: evaluate a snapshot after each epoch; evaluation time is kept off the clock.
  let elsaReached = null;
  let best = 0;
  let trainClock = 0;
  const epochSecondsList = [];
  start = process.hrtime.bigint();
  ml.fitElsa(matrix, {
    factors: elsaFactors,
    epochs: elsaEpochs,
    seed,
    onEpoch: (e) => {
      trainClock += seconds(start);
      epochSecondsList.push(e.seconds);
      const value = ndcg(e.snapshot());
      best = Math.max(best, value);
      log(`ELSA epoch ${e.epoch}: nDCG@10 ${value.toFixed(4)} after ${trainClock.toFixed(1)} s of training`);
      if (value >= goal && elsaReached === null) elsaReached = { epochs: e.epoch, seconds: round(trainClock, 1), ndcg10: round(value, 4) };
      start = process.hrtime.bigint();
    },
  });
  return {
    goalNdcg10: goal,
    ease: { seconds: round(easeSeconds, 2), ndcg10: round(easeNdcg, 4), reached: easeNdcg >= goal },
    elsa: { factors: elsaFactors, reached: elsaReached, bestNdcg10: round(best, 4), secondsPerEpoch: round(median(epochSecondsList), 2), fullRunSeconds: round(trainClock, 1) },
  };
}

export async function runTrainingBench(options) {
  await ensureBuilt(['ml']);
  const ml = require('./libs/ml/dist/index.js');
  const tf = require('@tensorflow/tfjs');
  const dataDir = resolve(options.dataDir ?? process.env.STORELOOP_DATA_DIR ?? join(root, '..', 'shared', 'data'));
  const file = join(dataDir, 'movielens-100k/ml-100k.inter');
  const repeats = options.repeats;
  const chosen = await ml.initTfBackend({ logger: { info: (m) => log(m) } });
  const available = await ml.availableTfBackends();
  log(`backends available here: ${available.join(', ')} (default choice: ${chosen.backend})`);
  const backends = {};
  const quiet = async () => (options.quietWait > 0 ? (await waitQuiet({}, options.quietWait)).coresUsed.other : null);

  for (const choice of available.filter((c) => options.backends.includes(c) || (c === 'gpu' && options.backends.includes('tensorflow')))) {
    const description = await ml.switchTfBackend(choice);
    const name = choice;
    const otherCores = await quiet();
    log(`${name}: embedding model with the fast kernel`);
    const fast = [];
    for (let r = 0; r < repeats; r += 1) fast.push(embeddingRun(tf, { steps: options.steps, seed: 11 + r }));
    let slow = null;
    let slowNote = null;
    if (description.fastKernels.length > 0) {
      ml.unregisterFastSegmentSum(description.backend);
      if (tf.getKernel('UnsortedSegmentSum', description.backend)) {
        log(`${name}: embedding model with tfjs's own UnsortedSegmentSum (slow: ${options.slowSteps} steps)`);
        const runs = [];
        for (let r = 0; r < repeats; r += 1) runs.push(embeddingRun(tf, { steps: options.slowSteps, seed: 11 + r }));
        slow = median(runs);
      } else {
        slowNote = `tfjs-backend-${description.backend} registers no UnsortedSegmentSum: the model cannot train there without ours`;
      }
      ml.registerFastSegmentSum(description.backend);
    }
    log(`${name}: propensity MLP`);
    const mlp = [];
    for (let r = 0; r < repeats; r += 1) mlp.push(await mlpRun(tf, { samples: options.mlpSamples, seed: 21 + r }));
    let recommender = null;
    if (existsSync(file)) {
      log(`${name}: recommender (ELSA, ${options.elsaFactors} factors) on the MovieLens-100K train split`);
      const data = ml.loadInterFile(file);
      const matrix = ml.buildImplicitMatrix(ml.stratifiedSplitByUser(data.interactions, 0.25, 42).train);
      const runs = [];
      ml.fitElsa(matrix, {
        factors: options.elsaFactors,
        epochs: repeats + 1,
        seed: 42,
        onEpoch: (e) => void (e.epoch > 1 && runs.push(e.samplesPerSec)), // the first epoch warms up
      });
      recommender = { model: 'elsa', factors: options.elsaFactors, samplesPerSec: round(median(runs), 0), unit: 'interactions/s (ELSA epochs on 74,646 train interactions)' };
    }
    backends[name] = {
      backend: description,
      otherProcessCores: otherCores,
      embedding: {
        withFastKernel: round(median(fast), 0),
        withTfjsKernel: round(slow, 1),
        ...(slowNote ? { note: slowNote } : {}),
        speedup: slow ? round(median(fast) / slow, 0) : null,
        model: '943 x 32 user and 1,682 x 32 item embeddings, dot product, BCE, Adam, batch 256',
      },
      mlp: { samplesPerSec: round(median(mlp), 0), model: 'dense 128 ReLU, 64 ReLU, 1 sigmoid; Adam 1e-3; BCE; 20 features; batch 256' },
      recommender,
    };
  }

  // Scaling and the goal run on the default backend.
  await ml.switchTfBackend(chosen.backend === 'tensorflow' ? (chosen.accelerator === 'gpu' ? 'gpu' : 'tensorflow') : chosen.backend);
  let scaling = null;
  if (options.scaling) {
    await quiet();
    const elsa = [];
    for (const items of [10_000, 100_000]) {
      log(`scaling: ELSA at ${items.toLocaleString('en-US')} items (${options.scalingSteps} steps of ${options.scalingBatch} users)`);
      elsa.push(elsaScaling(tf, ml, { items, users: 50_000, perUser: 20, factors: options.scalingFactors, batchSize: options.scalingBatch, steps: options.scalingSteps, seed: 5 }));
    }
    const ease = [];
    for (const items of [1_000, 2_000]) {
      log(`scaling: EASE at ${items.toLocaleString('en-US')} items`);
      ease.push(easeScaling(ml, { items, users: 5_000, perUser: 20, seed: 5 }));
    }
    const last = ease[ease.length - 1];
    const extrapolate = (n) => ({ items: n, estimatedSeconds: round(last.seconds * (n / last.items) ** 3, 0), workMiB: round((n * n * 12) / 2 ** 20, 0), fits: n * n * 12 < 0.5 * require('node:os').totalmem() });
    scaling = {
      note: 'synthetic Zipf-like data, 20 interactions per user; ELSA time per epoch grows with users x items x factors (its dense batch x items output), memory with items x factors; EASE time grows with items^3 and memory with items^2',
      elsa,
      ease: { measured: ease, extrapolated: [extrapolate(10_000), extrapolate(100_000)] },
    };
  }
  let goal = null;
  if (options.goal && existsSync(file)) {
    await quiet();
    log('goal: time to nDCG@10 >= 0.48 on MovieLens-100K');
    goal = goalRuns(ml, { file, seed: 42, goal: 0.48, elsaEpochs: options.elsaEpochs, elsaFactors: options.elsaFactors });
  }

  const rows = [['backend', 'embedding fast', 'embedding tfjs kernel', 'speed-up', 'MLP', 'recommender (ELSA)', 'package']];
  for (const [name, b] of Object.entries(backends)) {
    rows.push([name, Math.round(b.embedding.withFastKernel).toLocaleString('en-US'), b.embedding.withTfjsKernel ?? 'unsupported', b.embedding.speedup ? `${b.embedding.speedup}x` : '-', Math.round(b.mlp.samplesPerSec).toLocaleString('en-US'), b.recommender ? Math.round(b.recommender.samplesPerSec).toLocaleString('en-US') : '-', `${b.backend.package} ${b.backend.version}`]);
  }
  process.stdout.write(`\nsamples/s (median of ${repeats})\n${table(rows)}\n`);
  if (scaling) {
    process.stdout.write(`\n${table([
      ['model', 'items', 's/step', 's per 1k users', 'state MiB', 'RSS growth MiB', 'note'],
      ...scaling.elsa.map((e) => ['ELSA', e.items.toLocaleString('en-US'), e.secondsPerStep, e.secondsPer1000Users, e.trainingStateMiB, e.rssGrowthMiB, `r=${e.factors}, batch ${e.batchSize}`]),
      ...scaling.ease.measured.map((e) => ['EASE', e.items.toLocaleString('en-US'), e.seconds, '', e.workMiB, e.rssGrowthMiB, 'measured (one fit)']),
      ...scaling.ease.extrapolated.map((e) => ['EASE', e.items.toLocaleString('en-US'), e.estimatedSeconds, '', e.workMiB, '', e.fits ? 'extrapolated n^3' : 'extrapolated; does not fit in memory']),
    ])}\n`);
  }
  if (goal) log(`goal nDCG@10 >= 0.48: EASE ${goal.ease.reached ? `reached in ${goal.ease.seconds} s` : 'not reached'} (${goal.ease.ndcg10}); ELSA ${goal.elsa.reached ? `reached after ${goal.elsa.reached.epochs} epochs, ${goal.elsa.reached.seconds} s` : `not reached (best ${goal.elsa.bestNdcg10})`}`);

  const result = {
    repeats,
    backends,
    scaling,
    goal,
    date: new Date().toISOString(),
    machine: await machineInfo(),
    note: 'shared 2-core machine: other helpers ran builds and tests at the same time, so figures are noisy (otherProcessCores records the load before each backend)',
  };
  log(`wrote ${writeResult(options.out, result)}`);
  return 0;
}
