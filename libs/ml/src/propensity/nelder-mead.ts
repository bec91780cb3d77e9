/**
 * Nelder-Mead simplex minimisation (Nelder & Mead 1965, the standard
 * coefficients of Lagarias et al. 1998: reflect 1, expand 2, contract 0.5,
 * shrink 0.5). Derivative-free, which suits likelihoods with special
 * functions whose gradients are awkward; used on log-parameters so positivity
 * constraints disappear.
 */
import { MlInputError } from '../errors';

export interface NelderMeadOptions {
  /** Initial simplex edge along each axis. Default 0.5. */
  step?: number;
  maxIterations?: number;
  /** Converged when the objective spread over the simplex and its diameter are both below these. */
  functionTolerance?: number;
  pointTolerance?: number;
}

export interface NelderMeadResult {
  point: number[];
  value: number;
  iterations: number;
  converged: boolean;
}

export function nelderMead(
  objective: (point: number[]) => number,
  start: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const { step = 0.5, maxIterations = 5000, functionTolerance = 1e-10, pointTolerance = 1e-8 } = options;
  const n = start.length;
  if (n === 0) throw new MlInputError('nelderMead needs at least one dimension');
  // Non-finite values (overflow far from the optimum) rank as worst, so the simplex retreats.
  const evaluate = (point: number[]) => {
    const value = objective(point);
    return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
  };
  let simplex = [start.slice()];
  for (let i = 0; i < n; i += 1) {
    const vertex = start.slice();
    vertex[i] += step;
    simplex.push(vertex);
  }
  let values = simplex.map(evaluate);
  const combine = (a: number[], b: number[], t: number) => a.map((v, i) => v + t * (b[i] - v));

  let iteration = 0;
  for (; iteration < maxIterations; iteration += 1) {
    const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    const best = simplex[0];
    const spread = values[n] - values[0];
    const diameter = Math.max(...simplex.slice(1).map((v) => Math.max(...v.map((x, i) => Math.abs(x - best[i])))));
    if (spread <= functionTolerance && diameter <= pointTolerance) {
      return { point: best, value: values[0], iterations: iteration, converged: true };
    }
    const centroid = new Array<number>(n).fill(0);
    for (let v = 0; v < n; v += 1) for (let i = 0; i < n; i += 1) centroid[i] += simplex[v][i] / n;
    const worst = simplex[n];
    const reflected = combine(centroid, worst, -1);
    const reflectedValue = evaluate(reflected);
    if (reflectedValue < values[0]) {
      const expanded = combine(centroid, worst, -2);
      const expandedValue = evaluate(expanded);
      if (expandedValue < reflectedValue) [simplex[n], values[n]] = [expanded, expandedValue];
      else [simplex[n], values[n]] = [reflected, reflectedValue];
      continue;
    }
    if (reflectedValue < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, reflectedValue];
      continue;
    }
    const outside = reflectedValue < values[n];
    const contracted = outside ? combine(centroid, reflected, 0.5) : combine(centroid, worst, 0.5);
    const contractedValue = evaluate(contracted);
    if (contractedValue < (outside ? reflectedValue : values[n])) {
      [simplex[n], values[n]] = [contracted, contractedValue];
      continue;
    }
    for (let v = 1; v <= n; v += 1) {
      simplex[v] = combine(best, simplex[v], 0.5);
      values[v] = evaluate(simplex[v]);
    }
  }
  const bestIndex = values.indexOf(Math.min(...values));
  return { point: simplex[bestIndex], value: values[bestIndex], iterations: iteration, converged: false };
}
