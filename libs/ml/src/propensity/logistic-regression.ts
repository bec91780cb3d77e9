/**
 * L2-regularised logistic regression fitted by Newton's method (IRLS). With
 * a handful of features (the RFM baseline has three) the Hessian is tiny, so
 * Newton converges in a few exact steps where gradient descent would need
 * a learning rate and many epochs; no TF.js needed.
 */
import { MlInputError } from '../errors';
import { validateMatrix } from './standardizer';

export interface LogisticRegressionModel {
  intercept: number;
  weights: number[];
}

export interface LogisticRegressionOptions {
  /** L2 penalty on the weights (not the intercept), lambda/2 ||w||^2 added to the summed log loss. Default 1e-4. */
  l2?: number;
  /** Newton steps at most. Default 50. */
  maxIterations?: number;
  /** Stop when the largest parameter change is below this. Default 1e-8. */
  tolerance?: number;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Solves A x = b for a small symmetric positive-definite A by Cholesky decomposition. */
export function solveSpd(a: number[][], b: number[]): number[] {
  const n = b.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = a[i][j];
      for (let k = 0; k < j; k += 1) sum -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(sum > 0)) throw new MlInputError('matrix is not positive definite (collinear features? raise l2)');
        l[i][i] = Math.sqrt(sum);
      } else {
        l[i][j] = sum / l[j][j];
      }
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i += 1) {
    let sum = b[i];
    for (let k = 0; k < i; k += 1) sum -= l[i][k] * y[k];
    y[i] = sum / l[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i -= 1) {
    let sum = y[i];
    for (let k = i + 1; k < n; k += 1) sum -= l[k][i] * x[k];
    x[i] = sum / l[i][i];
  }
  return x;
}

export function fitLogisticRegression(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  options: LogisticRegressionOptions = {},
): LogisticRegressionModel {
  const { l2 = 1e-4, maxIterations = 50, tolerance = 1e-8 } = options;
  if (rows.length === 0) throw new MlInputError('rows is empty');
  const width = rows[0].length;
  validateMatrix(rows, width);
  if (labels.length !== rows.length) {
    throw new MlInputError(`labels must have one entry per row (${rows.length}), got ${labels.length}`);
  }
  labels.forEach((y, i) => {
    if (y !== 0 && y !== 1) throw new MlInputError(`labels[${i}] must be 0 or 1, got ${y}`);
  });
  if (!(l2 >= 0)) throw new MlInputError(`l2 must be >= 0, got ${l2}`);
  // theta[0] is the intercept.
  const size = width + 1;
  const theta = new Array<number>(size).fill(0);
  for (let iteration = 0; iteration < maxIterations; iteration += 1) {
    const gradient = new Array<number>(size).fill(0);
    const hessian = Array.from({ length: size }, () => new Array<number>(size).fill(0));
    for (let i = 0; i < rows.length; i += 1) {
      const x = [1, ...rows[i]];
      let z = 0;
      for (let j = 0; j < size; j += 1) z += theta[j] * x[j];
      const p = sigmoid(z);
      const w = Math.max(p * (1 - p), 1e-12);
      for (let j = 0; j < size; j += 1) {
        gradient[j] += (p - labels[i]) * x[j];
        for (let k = 0; k <= j; k += 1) hessian[j][k] += w * x[j] * x[k];
      }
    }
    for (let j = 0; j < size; j += 1) for (let k = 0; k < j; k += 1) hessian[k][j] = hessian[j][k];
    for (let j = 1; j < size; j += 1) {
      gradient[j] += l2 * theta[j];
      hessian[j][j] += l2;
    }
    // Tiny ridge on the intercept too, so separable data cannot make the system singular.
    hessian[0][0] += 1e-10;
    const step = solveSpd(hessian, gradient);
    let largest = 0;
    for (let j = 0; j < size; j += 1) {
      theta[j] -= step[j];
      largest = Math.max(largest, Math.abs(step[j]));
    }
    if (largest < tolerance) break;
  }
  return { intercept: theta[0], weights: theta.slice(1) };
}

export function predictLogisticRegression(model: LogisticRegressionModel, rows: readonly (readonly number[])[]): number[] {
  validateMatrix(rows, model.weights.length);
  return rows.map((row) => sigmoid(row.reduce((z, value, j) => z + value * model.weights[j], model.intercept)));
}
