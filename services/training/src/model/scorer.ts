import {
  auc,
  expectedCalibrationError,
  logLoss,
  predictPropensity,
  scorerColumns,
  scorerRow,
  trainPropensityMlp,
  type BinaryLabel,
  type EpochProgress,
  type LoadedPropensityModel,
} from '@storeloop/ml';
import type { WindowedExample } from '../window/example-window';
import type { HoldoutMetrics } from '../lifecycle/promotion';

/** Input columns of the scorer (libs/ml `scorerColumns`): `u.`/`i.` feature names, sorted; stored in the artifact. */
export const featureLayout = (examples: readonly WindowedExample[]): string[] => scorerColumns(examples);

export function featureRows(layout: readonly string[], examples: readonly WindowedExample[]): number[][] {
  return examples.map((example) => scorerRow(layout, example.user, example.item));
}

export const labelsOf = (examples: readonly WindowedExample[]): BinaryLabel[] => examples.map((example) => example.label);

export interface ScorerTraining {
  train: readonly WindowedExample[];
  /** Newest part of the training data: early stopping and calibration; never the holdout. */
  validation: readonly WindowedExample[];
  maxEpochs: number;
  batchSize: number;
  learningRate: number;
  patience: number;
  seed: number;
  onEpoch?: (progress: EpochProgress) => void;
}

/** The product owner's MLP (libs/ml propensity: 128-64-1, Adam, BCE, calibrated) over user and item features. */
export async function trainScorer(options: ScorerTraining): Promise<LoadedPropensityModel> {
  const layout = featureLayout(options.train);
  return trainPropensityMlp({
    featureNames: layout,
    train: { rows: featureRows(layout, options.train), labels: labelsOf(options.train) },
    validation: { rows: featureRows(layout, options.validation), labels: labelsOf(options.validation) },
    config: {
      maxEpochs: options.maxEpochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      patience: options.patience,
      seed: options.seed,
    },
    onEpoch: options.onEpoch,
  });
}

/** One epoch of the scorer's fit, as plotted on the dashboard: mean training loss and validation cross-entropy. */
export interface TrainingCurvePoint {
  epoch: number;
  loss: number;
  validationLoss: number;
}

/** The `details.training` block of a scorer version's metadata. */
export interface ScorerTrainingSummary {
  epochs: number;
  bestEpoch: number;
  /** Validation loss at `bestEpoch`: the weights the artifact holds. */
  validationLoss: number;
  /** Every epoch trained, in order (at most TRAINING_MAX_EPOCHS ≤ 1000 points), so engineers can see over- or under-fitting per version. */
  curve: TrainingCurvePoint[];
}

export function trainingSummary(model: Pick<LoadedPropensityModel, 'training'>): ScorerTrainingSummary {
  const { epochs, bestEpoch, bestValidationLoss, history } = model.training;
  return {
    epochs,
    bestEpoch,
    validationLoss: bestValidationLoss,
    curve: history.map(({ epoch, loss, validationLoss }) => ({ epoch, loss, validationLoss })),
  };
}

/** Calibrated P(label = 1) for each example. */
export function score(model: LoadedPropensityModel, examples: readonly WindowedExample[]): number[] {
  return examples.length === 0 ? [] : predictPropensity(model, featureRows(model.featureNames, examples));
}

/**
 * Holdout metrics: log loss, AUC (absent when the holdout has one class) and
 * expected calibration error (10 equal-width bins), with the positive rate.
 */
export function holdoutMetrics(probs: readonly number[], labels: readonly BinaryLabel[]): HoldoutMetrics {
  const positives = labels.reduce<number>((sum, label) => sum + label, 0);
  const metrics: HoldoutMetrics = {
    logLoss: logLoss(probs, labels, 1e-7),
    calibrationError: expectedCalibrationError(probs, labels),
    examples: labels.length,
    positiveRate: positives / labels.length,
  };
  if (positives > 0 && positives < labels.length) metrics.auc = auc(probs, labels);
  return metrics;
}

/** The base-rate predictor: the training positive rate for everyone. What a first model must beat. */
export function baselineMetrics(trainLabels: readonly BinaryLabel[], holdoutLabels: readonly BinaryLabel[]): HoldoutMetrics {
  const rate = trainLabels.reduce<number>((sum, label) => sum + label, 0) / trainLabels.length;
  const clipped = Math.min(1 - 1e-4, Math.max(1e-4, rate));
  return holdoutMetrics(holdoutLabels.map(() => clipped), holdoutLabels);
}
