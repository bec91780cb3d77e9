import { auc, logLoss, type BinaryLabel } from '../classification-metrics';
import { mulberry32 } from '../random';
import { applyCalibrator, fitCalibrator, fitIsotonic, fitPlatt } from './calibration';
import { fitLogisticRegression, predictLogisticRegression } from './logistic-regression';
import { fitStandardizer, standardize } from './standardizer';

describe('isotonic calibration', () => {
  it('pools adjacent violators into a non-decreasing step function', () => {
    // sorted by score: labels 0 1 0 1 1 -> blocks (0), (1, 0) pooled to 0.5, (1), (1)
    const calibrator = fitIsotonic([0.1, 0.2, 0.3, 0.4, 0.5], [0, 1, 0, 1, 1]);
    expect(calibrator).toEqual({ method: 'isotonic', thresholds: [0.1, 0.25, 0.4, 0.5], values: [0, 0.5, 1, 1] });
    // interpolates between block means, clips to [1e-6, 1 - 1e-6]
    const expected = [1e-6, 0.25, 0.5, 1 - 1e-6];
    applyCalibrator(calibrator, [0.05, 0.175, 0.25, 0.9]).forEach((p, i) => expect(p).toBeCloseTo(expected[i], 12));
  });

  it('gives tied scores one value', () => {
    const calibrator = fitIsotonic([0.3, 0.3, 0.6], [1, 0, 1]);
    expect(calibrator).toEqual({ method: 'isotonic', thresholds: [0.3, 0.6], values: [0.5, 1] });
  });
});

describe('Platt scaling', () => {
  it('recovers a known logit distortion and lowers log loss', () => {
    // True probability q; the model reports sigmoid(3 logit(q) - 1), overconfident and shifted.
    const random = mulberry32(5);
    const scores: number[] = [];
    const labels: BinaryLabel[] = [];
    for (let i = 0; i < 20_000; i += 1) {
      const q = 0.05 + 0.9 * random();
      const z = 3 * Math.log(q / (1 - q)) - 1;
      scores.push(1 / (1 + Math.exp(-z)));
      labels.push(random() < q ? 1 : 0);
    }
    const calibrator = fitPlatt(scores, labels);
    if (calibrator.method !== 'platt') throw new Error('expected platt');
    // inverse map: logit(q) = (z + 1) / 3 -> slope 1/3, intercept 1/3
    expect(calibrator.slope).toBeCloseTo(1 / 3, 1);
    expect(calibrator.intercept).toBeCloseTo(1 / 3, 1);
    const calibrated = applyCalibrator(calibrator, scores);
    expect(logLoss(calibrated, labels)).toBeLessThan(logLoss(scores, labels));
    expect(auc(calibrated, labels)).toBeCloseTo(auc(scores, labels), 10);
  });

  it('validates inputs and methods', () => {
    expect(() => fitPlatt([1.5], [1])).toThrow(/scores\[0\] must be a probability/);
    expect(() => fitCalibrator('sigmoid' as never, [0.5], [1])).toThrow(/calibration method/);
    expect(applyCalibrator({ method: 'none' }, [0.3])).toEqual([0.3]);
  });
});

describe('logistic regression', () => {
  it('recovers generating coefficients on standardised data', () => {
    const random = mulberry32(9);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 5000; i += 1) {
      const x = [random() * 4 - 2, random() * 10];
      rows.push(x);
      const z = 0.5 + 1.5 * x[0] - 0.3 * x[1];
      labels.push(random() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
    }
    const model = fitLogisticRegression(rows, labels, { l2: 0 });
    expect(model.intercept).toBeCloseTo(0.5, 0);
    expect(model.weights[0]).toBeCloseTo(1.5, 0);
    expect(model.weights[1]).toBeCloseTo(-0.3, 1);
    const standardizer = fitStandardizer(rows, ['a', 'b']);
    const scaled = fitLogisticRegression(standardize(standardizer, rows), labels, { l2: 0 });
    // Same fitted probabilities whichever scale the features are on.
    const direct = predictLogisticRegression(model, rows.slice(0, 5));
    const viaScaled = predictLogisticRegression(scaled, standardize(standardizer, rows.slice(0, 5)));
    direct.forEach((p, i) => expect(viaScaled[i]).toBeCloseTo(p, 6));
  });

  it('standardises constant columns to 0 and rejects ragged rows', () => {
    const state = fitStandardizer([[1, 5], [3, 5]], ['x', 'c']);
    expect(standardize(state, [[2, 5]])).toEqual([[0, 0]]);
    expect(() => fitLogisticRegression([[1], [1, 2]], [0, 1])).toThrow(/has 2 columns, expected 1/);
    expect(() => fitLogisticRegression([[1]], [2])).toThrow(/labels\[0\] must be 0 or 1/);
  });
});
