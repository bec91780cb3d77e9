/**
 * Demand models and seeded samplers. Simulations draw every demand from an
 * explicit seed (mulberry32, random.ts), so a run is reproducible and
 * policies can be compared on common random numbers: the same demand path.
 */
import { mulberry32, type Random } from './random';
import { SupplyChainInputError, requireNonNegative, requirePositiveInteger } from './errors';


/** A per-period demand distribution. */
export interface DemandModel {
  readonly kind: 'poisson' | 'normal' | 'empirical';
  readonly mean: number;
  readonly std: number;
  sample(random: Random): number;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9): about 15 significant digits. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i += 1) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * One Poisson draw. Inversion by sequential search for small means (exact,
 * cost O(mean)); Hörmann's PTRS transformed rejection for mean >= 10 (exact,
 * O(1)), so large-volume real series stay fast.
 */
export function samplePoisson(mean: number, random: Random): number {
  if (mean <= 0) return 0;
  if (mean < 10) {
    let p = Math.exp(-mean);
    let cdf = p;
    let k = 0;
    const u = random();
    while (u > cdf && k < 1000) {
      k += 1;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }
  const smu = Math.sqrt(mean);
  const b = 0.931 + 2.53 * smu;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  const logMean = Math.log(mean);
  for (;;) {
    const u = random() - 0.5;
    const v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logMean - logGamma(k + 1)) {
      return k;
    }
  }
}

/** One standard normal draw (Box-Muller; the second variate is discarded to keep the stream simple). */
export function sampleStandardNormal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Poisson pmf P(D = k), k = 0..maxK. */
export function poissonPmf(mean: number, maxK: number): Float64Array {
  const pmf = new Float64Array(maxK + 1);
  for (let k = 0; k <= maxK; k += 1) pmf[k] = Math.exp(-mean + k * Math.log(Math.max(mean, 1e-300)) - logGamma(k + 1));
  if (mean === 0) pmf[0] = 1;
  return pmf;
}

/** Smallest k with P(D <= k) >= 1 - tail: where to truncate a Poisson support. */
export function poissonSupport(mean: number, tail = 1e-12): number {
  let p = Math.exp(-mean);
  let cdf = p;
  let k = 0;
  while (cdf < 1 - tail && k < 100000) {
    k += 1;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

export function poissonDemand(mean: number): DemandModel {
  requireNonNegative('poisson mean', mean);
  return { kind: 'poisson', mean, std: Math.sqrt(mean), sample: (random) => samplePoisson(mean, random) };
}

/** Normal demand rounded to whole units and truncated at zero (mean/std are the untruncated parameters). */
export function normalDemand(mean: number, std: number): DemandModel {
  requireNonNegative('normal mean', mean);
  requireNonNegative('normal std', std);
  return {
    kind: 'normal',
    mean,
    std,
    sample: (random) => Math.max(0, Math.round(mean + std * sampleStandardNormal(random))),
  };
}

/** Demand drawn uniformly from observed values (a bootstrap of a history). */
export function empiricalDemand(values: readonly number[]): DemandModel {
  if (values.length === 0) throw new SupplyChainInputError('empirical demand needs at least one observation');
  for (const value of values) requireNonNegative('empirical demand value', value);
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
  const copy = Float64Array.from(values);
  return {
    kind: 'empirical',
    mean,
    std: Math.sqrt(variance),
    sample: (random) => copy[Math.floor(random() * copy.length)],
  };
}

/** `periods` demands drawn from `model` with `seed`: a common-random-numbers path shared by the policies compared. */
export function demandPath(model: DemandModel, periods: number, seed: number): Float64Array {
  requirePositiveInteger('periods', periods);
  const random = mulberry32(seed);
  const path = new Float64Array(periods);
  for (let t = 0; t < periods; t += 1) path[t] = model.sample(random);
  return path;
}
