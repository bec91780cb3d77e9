/**
 * Special functions the BG/NBD model needs, in double precision. No
 * maintained npm package offers both with TypeScript types and no native
 * build, and each is a few lines.
 */
import { MlInputError } from '../errors';

// Local bindings: global `Math.*` lookups are ~30x slower inside jest's vm sandbox, and these run in tight loops.
const { abs, log, sin, PI } = Math;
const { isFinite } = Number;

// Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients): ~15 digits for x > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * log(2 * PI);

/** ln Γ(x) for x > 0 (the only domain the models use). */
export function logGamma(x: number): number {
  if (!(x > 0) || !isFinite(x)) throw new MlInputError(`logGamma needs a finite x > 0, got ${x}`);
  // Reflection keeps the series accurate near 0: Γ(x) Γ(1 - x) = π / sin(πx).
  if (x < 0.5) return log(PI / sin(PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i += 1) sum += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * log(t) - t + log(sum);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * Gauss hypergeometric 2F1(a, b; c; z) by its power series, for 0 <= z < 1
 * (BG/NBD evaluates it at z = t / (alpha + T + t) < 1). Terms follow
 * t_{k+1} = t_k (a + k)(b + k) / ((c + k)(k + 1)) z; stops when a term is
 * below 1e-15 of the sum and throws if that takes more than 100,000 terms.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1)) throw new MlInputError(`hyp2f1 series needs 0 <= z < 1, got ${z}`);
  if (!(c > 0)) throw new MlInputError(`hyp2f1 needs c > 0, got ${c}`);
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 100_000; k += 1) {
    term *= (((a + k) * (b + k)) / ((c + k) * (k + 1))) * z;
    sum += term;
    if (abs(term) <= 1e-15 * abs(sum)) return sum;
  }
  throw new MlInputError(`hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge`);
}
