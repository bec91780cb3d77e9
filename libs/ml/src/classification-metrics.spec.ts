import {
  accuracy,
  auc,
  bestF1Threshold,
  BinaryLabel,
  confusionMatrix,
  expectedCalibrationError,
  f1Score,
  logLoss,
  precision,
  recall,
  reliabilityDiagram,
} from './classification-metrics';
import { MlInputError } from './errors';
import { mulberry32 } from './random';

/** O(n^2) definition of AUC: P(score+ > score-) + P(tie) / 2 over all positive-negative pairs. */
function pairwiseAuc(scores: number[], labels: BinaryLabel[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((n, j) => {
      if (labels[j] !== 0) return;
      pairs += 1;
      if (p > n) wins += 1;
      else if (p === n) wins += 0.5;
    });
  });
  return wins / pairs;
}

describe('auc', () => {
  it('matches a hand-computed rank statistic', () => {
    // ascending: 0.1(-) r1, 0.35(+) r2, 0.4(-) r3, 0.8(+) r4
    // positive rank sum 2 + 4 = 6; U = 6 - 2*3/2 = 3; AUC = 3 / (2*2) = 0.75
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
  });

  it('gives tied scores their mean rank', () => {
    // ascending: 0.2(-) r1, {0.5(+), 0.5(-)} share r2.5, 0.9(+) r4
    // positive rank sum 2.5 + 4 = 6.5; U = 6.5 - 3 = 3.5; AUC = 3.5 / 4 = 0.875
    expect(auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
  });

  it('is 0.5 when every score is the same', () => {
    expect(auc([0.3, 0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1, 0])).toBe(0.5);
  });

  it('is 1 for a perfect separation and 0 for a reversed one', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
  });

  it('agrees with the pairwise definition on random data with many ties', () => {
    const random = mulberry32(7);
    const scores: number[] = [];
    const labels: BinaryLabel[] = [];
    for (let i = 0; i < 500; i += 1) {
      // 20 distinct score values, so ties are common
      scores.push(Math.floor(random() * 20) / 20);
      labels.push(random() < 0.3 ? 1 : 0);
    }
    expect(auc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
  });

  it('throws when only one class is present', () => {
    expect(() => auc([0.1, 0.9], [1, 1])).toThrow(/needs both classes, got 2 positive and 0 negative/);
  });

  it('validates its inputs', () => {
    expect(() => auc([0.1, 0.9, 0.5], [1, 0])).toThrow(
      'scores and labels must have the same length, got 3 and 2',
    );
    expect(() => auc([], [])).toThrow(MlInputError);
    expect(() => auc([0.1, Number.NaN], [1, 0])).toThrow(/scores\[1\] must be a finite number/);
    expect(() => auc([0.1, 0.2], [1, 2 as BinaryLabel])).toThrow(/labels\[1\] must be 0 or 1, got 2/);
  });
});

describe('logLoss', () => {
  it('is the mean negative log-likelihood', () => {
    // -(ln 0.9 + ln(1 - 0.2)) / 2 = -(-0.1053605157 - 0.2231435513) / 2 = 0.1642520335
    expect(logLoss([0.9, 0.2], [1, 0])).toBeCloseTo(0.1642520335, 9);
  });

  it('clips probabilities to [eps, 1 - eps]', () => {
    // -ln(1e-15) = 34.5387763949
    expect(logLoss([0], [1])).toBeCloseTo(34.5387763949, 9);
    // -ln(1 - 1e-15) ~ 1e-15
    expect(logLoss([1], [1])).toBeCloseTo(0, 12);
    // eps = 0.1: -ln(0.1) = 2.3025850930
    expect(logLoss([1], [0], 0.1)).toBeCloseTo(2.302585093, 9);
  });

  it('validates its inputs', () => {
    expect(() => logLoss([0.5], [1, 0])).toThrow('probs and labels must have the same length, got 1 and 2');
    expect(() => logLoss([1.2], [1])).toThrow(/probs\[0\] must be in \[0, 1\], got 1.2/);
    expect(() => logLoss([0.5], [1], 0)).toThrow(/eps must be in/);
  });
});

describe('thresholded metrics', () => {
  const probs = [0.9, 0.6, 0.4, 0.5, 0.1, 0.7];
  const labels: BinaryLabel[] = [1, 0, 1, 1, 0, 1];

  it('counts the confusion matrix with prob >= threshold as positive', () => {
    // predictions at 0.5: 1 1 0 1 0 1 (0.5 itself is positive)
    // vs labels          1 0 1 1 0 1 -> TP at 0, 3, 5; FP at 1; FN at 2; TN at 4
    expect(confusionMatrix(probs, labels)).toEqual({
      truePositive: 3,
      falsePositive: 1,
      trueNegative: 1,
      falseNegative: 1,
    });
    // predictions at 0.65: 1 0 0 0 0 1 -> TP at 0, 5; FN at 2, 3; TN at 1, 4
    expect(confusionMatrix(probs, labels, 0.65)).toEqual({
      truePositive: 2,
      falsePositive: 0,
      trueNegative: 2,
      falseNegative: 2,
    });
  });

  it('accuracy is (TP + TN) / n', () => {
    // (3 + 1) / 6
    expect(accuracy(probs, labels)).toBeCloseTo(4 / 6, 12);
    // (2 + 2) / 6
    expect(accuracy(probs, labels, 0.65)).toBeCloseTo(4 / 6, 12);
    expect(accuracy([0.1, 0.2], [0, 0])).toBe(1);
  });

  it('f1 is 2TP / (2TP + FP + FN)', () => {
    // 6 / (6 + 1 + 1)
    expect(f1Score(probs, labels)).toBeCloseTo(0.75, 12);
    // 4 / (4 + 0 + 2)
    expect(f1Score(probs, labels, 0.65)).toBeCloseTo(2 / 3, 12);
  });

  it('f1 is 0 when there is no positive label and no positive prediction', () => {
    expect(f1Score([0.1, 0.2], [0, 0])).toBe(0);
  });

  it('validates its inputs', () => {
    expect(() => accuracy([0.5, 0.5], [1])).toThrow('probs and labels must have the same length, got 2 and 1');
    expect(() => f1Score([0.5], [1], Number.NaN)).toThrow(/threshold must be a finite number/);
    expect(() => confusionMatrix([Number.POSITIVE_INFINITY], [1])).toThrow(MlInputError);
  });
});

describe('precision and recall', () => {
  const probs = [0.9, 0.6, 0.4, 0.5, 0.1, 0.7];
  const labels: BinaryLabel[] = [1, 0, 1, 1, 0, 1];

  it('precision is TP / (TP + FP)', () => {
    // threshold 0.5: predicted positive 0.9(1) 0.6(0) 0.5(1) 0.7(1) -> 3 / 4
    expect(precision(probs, labels)).toBeCloseTo(0.75, 12);
    // threshold 0.65: 0.9(1) 0.7(1) -> 2 / 2
    expect(precision(probs, labels, 0.65)).toBe(1);
    expect(precision([0.1, 0.2], [1, 0])).toBe(0);
  });

  it('recall is TP / (TP + FN)', () => {
    // 4 positives, 3 flagged at 0.5, 2 at 0.65
    expect(recall(probs, labels)).toBeCloseTo(0.75, 12);
    expect(recall(probs, labels, 0.65)).toBeCloseTo(0.5, 12);
    expect(recall([0.9], [0])).toBe(0);
  });
});

describe('expectedCalibrationError', () => {
  const probs = [0.1, 0.15, 0.3, 0.7, 0.8, 0.95];
  const labels: BinaryLabel[] = [0, 1, 0, 1, 1, 1];

  it('weights |mean predicted - observed rate| by bin size (equal width)', () => {
    // 2 bins: [0, 0.5) holds 0.1 0.15 0.3 (mean 0.18333, rate 1/3); [0.5, 1] holds 0.7 0.8 0.95 (mean 0.81667, rate 1)
    // ECE = 0.5 |0.18333 - 0.33333| + 0.5 |0.81667 - 1| = 0.5 * 0.15 + 0.5 * 0.18333 = 0.166667
    expect(expectedCalibrationError(probs, labels, 2)).toBeCloseTo(1 / 6, 12);
  });

  it('cuts equal-mass bins by rank', () => {
    // 3 bins of 2: (0.1, 0.15 | rate 0.5, mean 0.125), (0.3, 0.7 | 0.5, 0.5), (0.8, 0.95 | 1, 0.875)
    // ECE = (1/3)(0.375) + (1/3)(0) + (1/3)(0.125) = 1/6
    expect(expectedCalibrationError(probs, labels, 3, 'equal-mass')).toBeCloseTo(1 / 6, 12);
    const bins = reliabilityDiagram(probs, labels, 3, 'equal-mass');
    expect(bins.map((bin) => bin.count)).toEqual([2, 2, 2]);
    expect(bins[2].meanPredicted).toBeCloseTo(0.875, 12);
  });

  it('is 0 for perfectly calibrated bins and puts p = 1 in the last bin', () => {
    expect(expectedCalibrationError([0.5, 0.5, 1, 1], [0, 1, 1, 1], 10)).toBe(0);
    const bins = reliabilityDiagram([1], [1], 4);
    expect(bins.map((bin) => bin.count)).toEqual([0, 0, 0, 1]);
  });

  it('validates its inputs', () => {
    expect(() => expectedCalibrationError([1.2], [1])).toThrow(/probs\[0\] must be in \[0, 1\]/);
    expect(() => expectedCalibrationError([0.2], [1], 0)).toThrow(/bins must be a positive integer/);
  });
});

describe('bestF1Threshold', () => {
  it('returns the probability cut with the highest F1', () => {
    const probs = [0.9, 0.6, 0.4, 0.5, 0.1, 0.7];
    const labels: BinaryLabel[] = [1, 0, 1, 1, 0, 1];
    // cuts: 0.9 -> 2/5, 0.7 -> 4/6, 0.6 -> 4/7, 0.5 -> 6/8, 0.4 -> 8/9, 0.1 -> 8/10
    const best = bestF1Threshold(probs, labels);
    expect(best.threshold).toBe(0.4);
    expect(best.f1).toBeCloseTo(8 / 9, 12);
    expect(f1Score(probs, labels, best.threshold)).toBeCloseTo(best.f1, 12);
  });

  it('keeps tied probabilities on the same side', () => {
    // Both 0.5s are predicted together: cut 0.5 -> TP 1, predicted 2, F1 2/(2+1) = 2/3; cut 0.2 -> 2/(3+1) = 1/2
    const best = bestF1Threshold([0.5, 0.5, 0.2], [1, 0, 0]);
    expect(best).toEqual({ threshold: 0.5, f1: 2 / 3 });
    expect(() => bestF1Threshold([0.5], [0])).toThrow(/at least one positive/);
  });
});
