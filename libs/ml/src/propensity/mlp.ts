/**
 * The purchase-propensity network the product owner specified: standardised
 * user features -> dense 128 ReLU -> dense 64 ReLU -> dense 1 sigmoid,
 * trained with Adam on binary cross-entropy, early-stopped on a validation
 * set, then calibrated on that same held-out set (Platt or isotonic, chosen
 * by cross-fitted log loss when `calibration` is 'auto').
 *
 * It runs on whatever TF.js backend is active: call `initTfBackend()` from
 * this library first to get the fastest one.
 */
import * as tf from '@tensorflow/tfjs';
import { logLoss, type BinaryLabel } from '../classification-metrics';
import { MlInputError } from '../errors';
import { mulberry32, requireSeed, shuffleInPlace } from '../random';
import { applyCalibrator, fitCalibrator, type CalibrationMethod, type Calibrator } from './calibration';
import { fitStandardizer, standardize, validateMatrix, type StandardizerState } from './standardizer';

export interface PropensityMlpConfig {
  /** Adam learning rate. Default 1e-3. */
  learningRate: number;
  /** Mini-batch size. Default 256. */
  batchSize: number;
  /** Upper bound on epochs; early stopping usually ends sooner. Default 100. */
  maxEpochs: number;
  /** Stop after this many epochs without a better validation loss; the best epoch's weights are kept. Default 8. */
  patience: number;
  /** L2 penalty on the dense kernels. Default 0. */
  l2: number;
  /** Dropout rate after each hidden layer. Default 0. */
  dropout: number;
  /** Calibrator fitted on the validation set; 'auto' picks the one with the lower cross-fitted log loss. Default 'auto'. */
  calibration: CalibrationMethod | 'auto';
  /** Seeds weight initialisation, dropout and the epoch shuffles. */
  seed: number;
}

export const DEFAULT_PROPENSITY_MLP_CONFIG: Omit<PropensityMlpConfig, 'seed'> = {
  learningRate: 1e-3,
  batchSize: 256,
  maxEpochs: 100,
  patience: 8,
  l2: 0,
  dropout: 0,
  calibration: 'auto',
};

/** The architecture is fixed by the product spec; exported so artifacts and docs can state it. */
export const PROPENSITY_MLP_HIDDEN_UNITS = [128, 64] as const;

export interface LabelledRows {
  rows: readonly (readonly number[])[];
  labels: readonly BinaryLabel[];
}

export interface TrainPropensityMlpInput {
  featureNames: readonly string[];
  train: LabelledRows;
  /** Held out from `train`: drives early stopping and fits the calibrator. */
  validation: LabelledRows;
  config: Partial<PropensityMlpConfig> & { seed: number };
  /** Called after every epoch, for progress logs and metrics. */
  onEpoch?: (progress: EpochProgress) => void;
}

export interface EpochProgress {
  epoch: number;
  loss: number;
  validationLoss: number;
}

/** Below this many validation rows the halves are too small to compare calibrators; 'auto' then means 'none'. */
export const MIN_ROWS_TO_CHOOSE_CALIBRATION = 20;

export interface CalibrationReport {
  /**
   * Cross-fitted (2-fold on the validation set) log loss of each calibrator,
   * and of none; NaN (null in JSON) when the validation set has fewer than
   * MIN_ROWS_TO_CHOOSE_CALIBRATION rows.
   */
  logLoss: Record<CalibrationMethod, number>;
  chosen: CalibrationMethod;
}

export interface PropensityMlpModel {
  network: tf.LayersModel;
  featureNames: string[];
  standardizer: StandardizerState;
  calibrator: Calibrator;
  config: PropensityMlpConfig;
  training: {
    epochs: number;
    bestEpoch: number;
    bestValidationLoss: number;
    history: EpochProgress[];
    calibration: CalibrationReport;
    trainRows: number;
    validationRows: number;
    backend: string;
  };
}

function validateLabelled(set: LabelledRows, width: number, name: string): void {
  validateMatrix(set.rows, width, `${name}.rows`);
  if (set.labels.length !== set.rows.length) {
    throw new MlInputError(`${name}.labels must have one entry per row (${set.rows.length}), got ${set.labels.length}`);
  }
  set.labels.forEach((y, i) => {
    if (y !== 0 && y !== 1) throw new MlInputError(`${name}.labels[${i}] must be 0 or 1, got ${y}`);
  });
}

function resolveConfig(config: TrainPropensityMlpInput['config']): PropensityMlpConfig {
  const resolved = { ...DEFAULT_PROPENSITY_MLP_CONFIG, ...config };
  requireSeed(resolved.seed);
  if (!(resolved.learningRate > 0)) throw new MlInputError(`learningRate must be > 0, got ${resolved.learningRate}`);
  for (const key of ['batchSize', 'maxEpochs', 'patience'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < 1) {
      throw new MlInputError(`${key} must be a positive integer, got ${resolved[key]}`);
    }
  }
  if (!(resolved.l2 >= 0)) throw new MlInputError(`l2 must be >= 0, got ${resolved.l2}`);
  if (!(resolved.dropout >= 0 && resolved.dropout < 1)) throw new MlInputError(`dropout must be in [0, 1), got ${resolved.dropout}`);
  if (!['auto', 'platt', 'isotonic', 'none'].includes(resolved.calibration)) {
    throw new MlInputError(`calibration must be 'auto', 'platt', 'isotonic' or 'none', got ${resolved.calibration}`);
  }
  return resolved;
}

/** Builds the uncompiled 128-64-1 network for `inputs` standardised features. */
export function buildPropensityNetwork(inputs: number, config: Pick<PropensityMlpConfig, 'l2' | 'dropout' | 'seed'>): tf.Sequential {
  const regularizer = config.l2 > 0 ? tf.regularizers.l2({ l2: config.l2 }) : undefined;
  const model = tf.sequential();
  PROPENSITY_MLP_HIDDEN_UNITS.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        inputShape: i === 0 ? [inputs] : undefined,
        kernelInitializer: tf.initializers.heNormal({ seed: config.seed + i }),
        kernelRegularizer: regularizer,
      }),
    );
    if (config.dropout > 0) model.add(tf.layers.dropout({ rate: config.dropout, seed: config.seed + 10 + i }));
  });
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed + 2 }),
      kernelRegularizer: regularizer,
    }),
  );
  return model;
}

function rawScores(network: tf.LayersModel, standardized: number[][], batchSize = 4096): number[] {
  return tf.tidy(() => {
    const output = network.predict(tf.tensor2d(standardized, [standardized.length, standardized[0].length]), { batchSize });
    return Array.from((output as tf.Tensor).dataSync());
  });
}

/**
 * Picks the calibrator by 2-fold cross-fitting on the validation set: fit on
 * one half, score log loss on the other, both ways round. Fitting and scoring
 * on the same rows would always favour isotonic, which memorises them.
 */
function chooseCalibration(scores: number[], labels: readonly BinaryLabel[], seed: number): CalibrationReport {
  if (scores.length < MIN_ROWS_TO_CHOOSE_CALIBRATION) {
    return { logLoss: { none: Number.NaN, platt: Number.NaN, isotonic: Number.NaN }, chosen: 'none' };
  }
  const order = shuffleInPlace(
    scores.map((_, i) => i),
    mulberry32(seed),
  );
  const halves = [order.filter((_, i) => i % 2 === 0), order.filter((_, i) => i % 2 === 1)];
  const report = { platt: 0, isotonic: 0, none: 0 } as Record<CalibrationMethod, number>;
  for (const method of ['none', 'platt', 'isotonic'] as const) {
    let total = 0;
    for (let h = 0; h < 2; h += 1) {
      const fit = halves[h];
      const held = halves[1 - h];
      const calibrator = fitCalibrator(
        method,
        fit.map((i) => scores[i]),
        fit.map((i) => labels[i]),
      );
      const probs = applyCalibrator(
        calibrator,
        held.map((i) => scores[i]),
      );
      total += logLoss(probs, held.map((i) => labels[i])) * held.length;
    }
    report[method] = total / scores.length;
  }
  const chosen = (['platt', 'isotonic', 'none'] as const).reduce((best, m) => (report[m] < report[best] ? m : best));
  return { logLoss: report, chosen };
}

export async function trainPropensityMlp(input: TrainPropensityMlpInput): Promise<PropensityMlpModel> {
  const config = resolveConfig(input.config);
  const featureNames = [...input.featureNames];
  const width = featureNames.length;
  if (width === 0) throw new MlInputError('featureNames is empty');
  validateLabelled(input.train, width, 'train');
  validateLabelled(input.validation, width, 'validation');

  const standardizer = fitStandardizer(input.train.rows, featureNames);
  const trainX = standardize(standardizer, input.train.rows);
  const validationX = standardize(standardizer, input.validation.rows);
  const network = buildPropensityNetwork(width, config);
  network.compile({ optimizer: tf.train.adam(config.learningRate), loss: 'binaryCrossentropy' });

  const random = mulberry32(config.seed);
  const order = trainX.map((_, i) => i);
  const validationXs = tf.tensor2d(validationX, [validationX.length, width]);
  const validationYs = tf.tensor2d(input.validation.labels.map((y) => [y]), [validationX.length, 1]);
  const history: EpochProgress[] = [];
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as tf.Tensor[] };
  try {
    for (let epoch = 1; epoch <= config.maxEpochs; epoch += 1) {
      // Our own seeded shuffle: tfjs's fit() shuffles with Math.random.
      shuffleInPlace(order, random);
      const xs = tf.tensor2d(order.map((i) => trainX[i]), [order.length, width]);
      const ys = tf.tensor2d(order.map((i) => [input.train.labels[i]]), [order.length, 1]);
      let loss: number;
      try {
        const fit = await network.fit(xs, ys, { epochs: 1, batchSize: config.batchSize, shuffle: false, verbose: 0 });
        loss = Number(fit.history.loss[0]);
      } finally {
        xs.dispose();
        ys.dispose();
      }
      // Validation loss is the plain cross-entropy (no L2 term), the quantity calibration and the eval care about.
      const validationLoss = tf.tidy(() =>
        tf.metrics.binaryCrossentropy(validationYs, network.predict(validationXs) as tf.Tensor).mean().dataSync()[0],
      );
      const progress = { epoch, loss, validationLoss };
      history.push(progress);
      input.onEpoch?.(progress);
      if (!Number.isFinite(validationLoss)) throw new MlInputError(`validation loss became ${validationLoss} at epoch ${epoch}`);
      if (validationLoss < best.loss) {
        best.weights.forEach((w) => w.dispose());
        best = { loss: validationLoss, epoch, weights: network.getWeights().map((w) => w.clone()) };
      } else if (epoch - best.epoch >= config.patience) {
        break;
      }
    }
    network.setWeights(best.weights);
  } finally {
    best.weights.forEach((w) => w.dispose());
    validationXs.dispose();
    validationYs.dispose();
  }

  const validationScores = rawScores(network, validationX);
  const calibration = chooseCalibration(validationScores, input.validation.labels, config.seed);
  const method = config.calibration === 'auto' ? calibration.chosen : config.calibration;
  const calibrator = fitCalibrator(method, validationScores, input.validation.labels);
  return {
    network,
    featureNames,
    standardizer,
    calibrator,
    config,
    training: {
      epochs: history.length,
      bestEpoch: best.epoch,
      bestValidationLoss: best.loss,
      history,
      calibration: { ...calibration, chosen: method },
      trainRows: trainX.length,
      validationRows: validationX.length,
      backend: tf.getBackend(),
    },
  };
}

/** Uncalibrated network outputs, for diagnostics and calibration studies. */
export function predictPropensityRaw(model: Pick<PropensityMlpModel, 'network' | 'standardizer'>, rows: readonly (readonly number[])[]): number[] {
  return rawScores(model.network, standardize(model.standardizer, rows));
}

/** Calibrated P(purchase within the horizon) for each row of features (in `featureNames` order). */
export function predictPropensity(
  model: Pick<PropensityMlpModel, 'network' | 'standardizer' | 'calibrator'>,
  rows: readonly (readonly number[])[],
): number[] {
  return applyCalibrator(model.calibrator, predictPropensityRaw(model, rows));
}

/** Frees the network's tensors. */
export function disposePropensityModel(model: Pick<PropensityMlpModel, 'network'>): void {
  model.network.dispose();
}
