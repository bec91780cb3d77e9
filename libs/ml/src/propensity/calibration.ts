/**
 * Probability calibration fitted on held-out scores: a network trained with
 * early stopping, or a model trained on another objective, ranks well but its
 * raw outputs need not match observed frequencies. Both calibrators are
 * monotone, so AUC is unchanged (isotonic can only merge ranks into ties).
 */
import { MlInputError } from '../errors';
import { fitLogisticRegression, sigmoid } from './logistic-regression';

export type CalibrationMethod = 'platt' | 'isotonic' | 'none';

/** JSON-serialisable fitted calibrator. */
export type Calibrator =
  | { method: 'none' }
  | { method: 'platt'; slope: number; intercept: number }
  | { method: 'isotonic'; thresholds: number[]; values: number[] };

/** Probabilities are kept inside [CLIP, 1 - CLIP]: a calibrated 0 or 1 would make one surprise cost infinite log loss. */
const CLIP = 1e-6;

function logit(p: number): number {
  const q = Math.min(Math.max(p, CLIP), 1 - CLIP);
  return Math.log(q / (1 - q));
}

function validate(scores: readonly number[], labels: readonly number[]): void {
  if (scores.length !== labels.length) {
    throw new MlInputError(`scores and labels must have the same length, got ${scores.length} and ${labels.length}`);
  }
  if (scores.length === 0) throw new MlInputError('calibration needs at least one held-out example');
  scores.forEach((s, i) => {
    if (!(s >= 0 && s <= 1)) throw new MlInputError(`scores[${i}] must be a probability in [0, 1], got ${s}`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new MlInputError(`labels[${i}] must be 0 or 1, got ${labels[i]}`);
  });
}

/**
 * Platt scaling (Platt 1999): p = sigmoid(slope * logit(score) + intercept),
 * a logistic regression on the score's logit. On logits an already
 * calibrated model gets slope 1, intercept 0, so the map is the identity.
 */
export function fitPlatt(scores: readonly number[], labels: readonly number[]): Calibrator {
  validate(scores, labels);
  const model = fitLogisticRegression(
    scores.map((s) => [logit(s)]),
    labels,
    { l2: 1e-6 },
  );
  return { method: 'platt', slope: model.weights[0], intercept: model.intercept };
}

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step
 * function of the score that minimises squared error to the labels (Zadrozny
 * & Elkan 2002). Each pooled block is stored by its mean score; predictions
 * interpolate linearly between block means, like scikit-learn's
 * IsotonicRegression, and are clipped to [1e-6, 1 - 1e-6].
 */
export function fitIsotonic(scores: readonly number[], labels: readonly number[]): Calibrator {
  validate(scores, labels);
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const blocks: { scoreSum: number; labelSum: number; count: number }[] = [];
  for (let start = 0; start < order.length; ) {
    // Equal scores must get one value: pool ties up front.
    let end = start;
    const block = { scoreSum: 0, labelSum: 0, count: 0 };
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      block.scoreSum += scores[order[end]];
      block.labelSum += labels[order[end]];
      block.count += 1;
      end += 1;
    }
    blocks.push(block);
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1];
      const previous = blocks[blocks.length - 2];
      if (previous.labelSum / previous.count <= last.labelSum / last.count) break;
      previous.scoreSum += last.scoreSum;
      previous.labelSum += last.labelSum;
      previous.count += last.count;
      blocks.pop();
    }
    start = end;
  }
  return {
    method: 'isotonic',
    thresholds: blocks.map((b) => b.scoreSum / b.count),
    values: blocks.map((b) => b.labelSum / b.count),
  };
}

export function fitCalibrator(method: CalibrationMethod, scores: readonly number[], labels: readonly number[]): Calibrator {
  if (method === 'platt') return fitPlatt(scores, labels);
  if (method === 'isotonic') return fitIsotonic(scores, labels);
  if (method === 'none') return { method: 'none' };
  throw new MlInputError(`calibration method must be 'platt', 'isotonic' or 'none', got ${String(method)}`);
}

/** Piecewise-linear between isotonic block means, flat beyond the ends (also the inference service's plain-JS scorer). */
export function interpolateIsotonic(thresholds: readonly number[], values: readonly number[], x: number): number {
  if (x <= thresholds[0]) return values[0];
  const last = thresholds.length - 1;
  if (x >= thresholds[last]) return values[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (thresholds[mid] <= x) lo = mid;
    else hi = mid;
  }
  const t = (x - thresholds[lo]) / (thresholds[hi] - thresholds[lo]);
  return values[lo] + t * (values[hi] - values[lo]);
}

export function applyCalibrator(calibrator: Calibrator, scores: readonly number[]): number[] {
  return scores.map((s, i) => {
    if (!(s >= 0 && s <= 1)) throw new MlInputError(`scores[${i}] must be a probability in [0, 1], got ${s}`);
    if (calibrator.method === 'none') return s;
    const p =
      calibrator.method === 'platt'
        ? sigmoid(calibrator.slope * logit(s) + calibrator.intercept)
        : interpolateIsotonic(calibrator.thresholds, calibrator.values, s);
    return Math.min(Math.max(p, CLIP), 1 - CLIP);
  });
}
