/**
 * Binary classification metrics for propensity models. Inputs are parallel
 * arrays of model outputs and 0/1 labels; every function checks them and
 * throws MlInputError rather than return NaN.
 */
import { MlInputError } from './errors';

export type BinaryLabel = 0 | 1;

/** Counts of a thresholded binary classifier against the labels. */
export interface ConfusionMatrix {
  truePositive: number;
  falsePositive: number;
  trueNegative: number;
  falseNegative: number;
}

function validatePair(values: readonly number[], labels: readonly number[], valuesName: string): void {
  if (values.length !== labels.length) {
    throw new MlInputError(
      `${valuesName} and labels must have the same length, got ${values.length} and ${labels.length}`,
    );
  }
  if (values.length === 0) throw new MlInputError(`${valuesName} and labels are empty`);
  for (let i = 0; i < values.length; i += 1) {
    if (!Number.isFinite(values[i])) {
      throw new MlInputError(`${valuesName}[${i}] must be a finite number, got ${values[i]}`);
    }
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new MlInputError(`labels[${i}] must be 0 or 1, got ${labels[i]}`);
    }
  }
}

function requireFinite(value: number, name: string): void {
  if (!Number.isFinite(value)) throw new MlInputError(`${name} must be a finite number, got ${value}`);
}

/**
 * Area under the ROC curve via the Mann-Whitney rank statistic: rank all
 * scores ascending (tied scores share their mean rank, so a tie between a
 * positive and a negative counts one half), then
 * AUC = (sum of positive ranks - nPos (nPos + 1) / 2) / (nPos * nNeg).
 * O(n log n). Throws when only one class is present (AUC is undefined).
 */
export function auc(scores: readonly number[], labels: readonly BinaryLabel[]): number {
  validatePair(scores, labels, 'scores');
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positiveRankSum = 0;
  let positives = 0;
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end += 1;
    // 1-based ranks start+1 .. end share their mean.
    const meanRank = (start + 1 + end) / 2;
    for (let j = start; j < end; j += 1) {
      if (labels[order[j]] === 1) {
        positiveRankSum += meanRank;
        positives += 1;
      }
    }
    start = end;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new MlInputError(`AUC needs both classes, got ${positives} positive and ${negatives} negative labels`);
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Mean binary cross-entropy, -mean(y ln p + (1 - y) ln(1 - p)), with p clipped
 * to [eps, 1 - eps] so a confident mistake costs ln(1/eps) instead of Infinity
 * (scikit-learn clips the same way).
 */
export function logLoss(probs: readonly number[], labels: readonly BinaryLabel[], eps = 1e-15): number {
  validatePair(probs, labels, 'probs');
  if (!(eps > 0 && eps < 0.5)) throw new MlInputError(`eps must be in (0, 0.5), got ${eps}`);
  let sum = 0;
  for (let i = 0; i < probs.length; i += 1) {
    const p = probs[i];
    if (p < 0 || p > 1) throw new MlInputError(`probs[${i}] must be in [0, 1], got ${p}`);
    const clipped = Math.min(Math.max(p, eps), 1 - eps);
    sum += labels[i] === 1 ? Math.log(clipped) : Math.log(1 - clipped);
  }
  return -sum / probs.length;
}

/** Confusion counts of `prob >= threshold` predicted positive, against the labels. */
export function confusionMatrix(
  probs: readonly number[],
  labels: readonly BinaryLabel[],
  threshold = 0.5,
): ConfusionMatrix {
  validatePair(probs, labels, 'probs');
  requireFinite(threshold, 'threshold');
  const matrix: ConfusionMatrix = { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 0 };
  for (let i = 0; i < probs.length; i += 1) {
    const predictedPositive = probs[i] >= threshold;
    if (labels[i] === 1) {
      if (predictedPositive) matrix.truePositive += 1;
      else matrix.falseNegative += 1;
    } else if (predictedPositive) {
      matrix.falsePositive += 1;
    } else {
      matrix.trueNegative += 1;
    }
  }
  return matrix;
}

/** Share of examples whose thresholded prediction (`prob >= threshold`) equals the label. */
export function accuracy(probs: readonly number[], labels: readonly BinaryLabel[], threshold = 0.5): number {
  const m = confusionMatrix(probs, labels, threshold);
  return (m.truePositive + m.trueNegative) / probs.length;
}

/**
 * F1 of the positive class, 2TP / (2TP + FP + FN). When there is no positive
 * label and no positive prediction the ratio is 0/0; like scikit-learn's
 * default (`zero_division`) we return 0.
 */
export function f1Score(probs: readonly number[], labels: readonly BinaryLabel[], threshold = 0.5): number {
  const m = confusionMatrix(probs, labels, threshold);
  const denominator = 2 * m.truePositive + m.falsePositive + m.falseNegative;
  return denominator === 0 ? 0 : (2 * m.truePositive) / denominator;
}
