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

/**
 * Precision of the positive class, TP / (TP + FP): of the customers we flag,
 * the share who do buy. With no positive prediction the ratio is 0/0 and,
 * like scikit-learn's default `zero_division`, we return 0.
 */
export function precision(probs: readonly number[], labels: readonly BinaryLabel[], threshold = 0.5): number {
  const m = confusionMatrix(probs, labels, threshold);
  const predictedPositive = m.truePositive + m.falsePositive;
  return predictedPositive === 0 ? 0 : m.truePositive / predictedPositive;
}

/**
 * Recall of the positive class, TP / (TP + FN): of the customers who buy,
 * the share we flag. With no positive label the ratio is 0/0 and we return 0.
 */
export function recall(probs: readonly number[], labels: readonly BinaryLabel[], threshold = 0.5): number {
  const m = confusionMatrix(probs, labels, threshold);
  const actualPositive = m.truePositive + m.falseNegative;
  return actualPositive === 0 ? 0 : m.truePositive / actualPositive;
}

/**
 * How calibration bins are formed. `equal-width`: bin i holds probabilities in
 * [i/B, (i+1)/B) (the last bin includes 1), the classic reliability diagram
 * (Naeini et al. 2015; Guo et al. 2017). `equal-mass`: examples sorted by
 * probability and cut into B bins of (nearly) equal count, which keeps every
 * bin populated when predictions crowd one end, as propensities often do
 * (Nixon et al. 2019, "adaptive" ECE). Ties may straddle an equal-mass cut.
 */
export type CalibrationBinning = 'equal-width' | 'equal-mass';

/** One bin of a reliability diagram. */
export interface CalibrationBin {
  count: number;
  meanPredicted: number;
  observedRate: number;
}

function calibrationBins(
  probs: readonly number[],
  labels: readonly BinaryLabel[],
  bins: number,
  binning: CalibrationBinning,
): CalibrationBin[] {
  validatePair(probs, labels, 'probs');
  if (!Number.isSafeInteger(bins) || bins < 1) throw new MlInputError(`bins must be a positive integer, got ${bins}`);
  probs.forEach((p, i) => {
    if (p < 0 || p > 1) throw new MlInputError(`probs[${i}] must be in [0, 1], got ${p}`);
  });
  const binOf = new Int32Array(probs.length);
  if (binning === 'equal-width') {
    probs.forEach((p, i) => (binOf[i] = Math.min(bins - 1, Math.floor(p * bins))));
  } else if (binning === 'equal-mass') {
    const order = probs.map((_, i) => i).sort((a, b) => probs[a] - probs[b]);
    order.forEach((index, rank) => (binOf[index] = Math.floor((rank * bins) / probs.length)));
  } else {
    throw new MlInputError(`binning must be 'equal-width' or 'equal-mass', got ${String(binning)}`);
  }
  const sums = Array.from({ length: bins }, () => ({ count: 0, predicted: 0, positives: 0 }));
  probs.forEach((p, i) => {
    const bin = sums[binOf[i]];
    bin.count += 1;
    bin.predicted += p;
    bin.positives += labels[i];
  });
  return sums.map(({ count, predicted, positives }) => ({
    count,
    meanPredicted: count === 0 ? 0 : predicted / count,
    observedRate: count === 0 ? 0 : positives / count,
  }));
}

/** The bins of a reliability diagram (empty equal-width bins have count 0). */
export function reliabilityDiagram(
  probs: readonly number[],
  labels: readonly BinaryLabel[],
  bins = 10,
  binning: CalibrationBinning = 'equal-width',
): CalibrationBin[] {
  return calibrationBins(probs, labels, bins, binning);
}

/**
 * Expected calibration error: sum over bins of (n_b / n) |mean predicted_b -
 * observed positive rate_b|, i.e. how far, weighted by traffic, the stated
 * probabilities are from the frequencies they claim. 0 is perfect; a
 * constant prediction equal to the base rate also scores 0, so read it
 * together with AUC or log loss. Defaults: 10 equal-width bins.
 */
export function expectedCalibrationError(
  probs: readonly number[],
  labels: readonly BinaryLabel[],
  bins = 10,
  binning: CalibrationBinning = 'equal-width',
): number {
  let error = 0;
  for (const bin of calibrationBins(probs, labels, bins, binning)) {
    error += (bin.count / probs.length) * Math.abs(bin.meanPredicted - bin.observedRate);
  }
  return error;
}

/**
 * The threshold that maximises F1 on the given (validation) data, and that
 * F1. Candidates are the distinct predicted probabilities (predicting
 * positive at `prob >= threshold`), scanned in one pass from the highest
 * down, so O(n log n). Choose it on held-out data, then apply it unchanged
 * to the test set.
 */
export function bestF1Threshold(probs: readonly number[], labels: readonly BinaryLabel[]): { threshold: number; f1: number } {
  validatePair(probs, labels, 'probs');
  const positives = labels.reduce<number>((s, y) => s + y, 0);
  if (positives === 0) throw new MlInputError('bestF1Threshold needs at least one positive label');
  const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a]);
  let best = { threshold: probs[order[0]], f1: 0 };
  let truePositive = 0;
  let predicted = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && probs[order[end]] === probs[order[start]]) {
      truePositive += labels[order[end]];
      predicted += 1;
      end += 1;
    }
    // F1 = 2TP / (2TP + FP + FN) = 2TP / (predicted + positives)
    const f1 = (2 * truePositive) / (predicted + positives);
    if (f1 > best.f1) best = { threshold: probs[order[start]], f1 };
    start = end;
  }
  return best;
}
