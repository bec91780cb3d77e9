/**
 * The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting
 * your customers the easy way"). While alive a customer buys as a Poisson
 * process with rate lambda ~ Gamma(r, alpha); after each purchase they drop
 * out with probability p ~ Beta(a, b). A customer's calibration history is
 * summarised by x (repeat purchases), t_x (time of the last one, from the
 * first purchase) and T (time from the first purchase to the end of
 * calibration), all in one time unit (weeks for CDNOW).
 */
import { MlInputError } from '../errors';
import { nelderMead } from './nelder-mead';
import { hyp2f1, logBeta, logGamma } from './special-functions';

// Local bindings: global `Math.*` lookups are ~30x slower inside jest's vm sandbox, and these run in tight loops.
const { abs, exp, log, max, pow } = Math;

/** Sufficient statistics of one customer's calibration period. */
export interface RepeatPurchaseSummary {
  /** Repeat purchases x (purchases after the first). */
  frequency: number;
  /** t_x: time of the last purchase since the first (0 when x = 0). */
  recency: number;
  /** T: time from the first purchase to the end of calibration. */
  age: number;
}

export interface BgNbdParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit {
  params: BgNbdParameters;
  /** Summed log-likelihood at the optimum. */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

function validateSummary(s: RepeatPurchaseSummary, i: number): void {
  const { frequency: x, recency: tx, age: T } = s;
  if (!Number.isSafeInteger(x) || x < 0) throw new MlInputError(`customers[${i}].frequency must be an integer >= 0, got ${x}`);
  if (!(T > 0) || !Number.isFinite(T)) throw new MlInputError(`customers[${i}].age must be > 0, got ${T}`);
  if (!(tx >= 0 && tx <= T)) throw new MlInputError(`customers[${i}].recency must be in [0, age], got ${tx}`);
  if (x === 0 && tx !== 0) throw new MlInputError(`customers[${i}].recency must be 0 when frequency is 0, got ${tx}`);
}

function validateParams({ r, alpha, a, b }: BgNbdParameters): void {
  for (const [name, value] of Object.entries({ r, alpha, a, b })) {
    if (!(value > 0) || !Number.isFinite(value)) throw new MlInputError(`BG/NBD parameter ${name} must be > 0, got ${value}`);
  }
}

/**
 * ln L for one customer, equation (6) of the paper:
 * L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
 *   + [x > 0] B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)).
 * The two terms are "alive at T" and "dropped out right after t_x"; they are
 * added in log space (log-sum-exp) so large x cannot underflow.
 */
export function bgNbdLogLikelihood(params: BgNbdParameters, customer: RepeatPurchaseSummary): number {
  const { r, alpha, a, b } = params;
  const { frequency: x, recency: tx, age: T } = customer;
  const common = logGamma(r + x) - logGamma(r) + r * log(alpha) - logBeta(a, b);
  const alive = logBeta(a, b + x) - (r + x) * log(alpha + T);
  if (x === 0) return common + alive;
  const dropped = logBeta(a + 1, b + x - 1) - (r + x) * log(alpha + tx);
  const top = max(alive, dropped);
  return common + top + log(exp(alive - top) + exp(dropped - top));
}

/** Customers with identical (x, t_x, T), counted once with a weight. */
interface PooledHistory {
  frequency: number;
  recency: number;
  age: number;
  weight: number;
}

function pool(customers: readonly RepeatPurchaseSummary[]): PooledHistory[] {
  const pooled = new Map<string, PooledHistory>();
  for (const c of customers) {
    const key = `${c.frequency}|${c.recency}|${c.age}`;
    const entry = pooled.get(key);
    if (entry) entry.weight += 1;
    else pooled.set(key, { frequency: c.frequency, recency: c.recency, age: c.age, weight: 1 });
  }
  return [...pooled.values()].sort((p, q) => p.frequency - q.frequency);
}

/**
 * The same sum as adding `bgNbdLogLikelihood` over customers, but the terms
 * that depend only on the parameters and on x (the gamma and beta functions)
 * are computed once per distinct x rather than once per customer: a cohort
 * has a few dozen distinct x and thousands of customers, and the optimiser
 * evaluates this hundreds of times.
 */
function pooledLogLikelihood(params: BgNbdParameters, histories: readonly PooledHistory[]): number {
  const { r, alpha, a, b } = params;
  const base = -logGamma(r) + r * log(alpha) - logBeta(a, b);
  let total = 0;
  let cachedX = -1;
  let aliveConst = 0;
  let droppedConst = 0;
  for (const { frequency: x, recency: tx, age: T, weight } of histories) {
    if (x !== cachedX) {
      cachedX = x;
      const gammaTerm = base + logGamma(r + x);
      aliveConst = gammaTerm + logBeta(a, b + x);
      droppedConst = x > 0 ? gammaTerm + logBeta(a + 1, b + x - 1) : 0;
    }
    const alive = aliveConst - (r + x) * log(alpha + T);
    if (x === 0) {
      total += weight * alive;
      continue;
    }
    const dropped = droppedConst - (r + x) * log(alpha + tx);
    const top = max(alive, dropped);
    total += weight * (top + log(exp(alive - top) + exp(dropped - top)));
  }
  return total;
}

/** Summed log-likelihood over customers. */
export function bgNbdTotalLogLikelihood(params: BgNbdParameters, customers: readonly RepeatPurchaseSummary[]): number {
  validateParams(params);
  customers.forEach(validateSummary);
  return pooledLogLikelihood(params, pool(customers));
}

export interface BgNbdFitOptions {
  /** Starting parameters (default all 1). */
  start?: BgNbdParameters;
  maxIterations?: number;
}

/**
 * Maximum likelihood by Nelder-Mead on (ln r, ln alpha, ln a, ln b), the
 * route Fader & Hardie's spreadsheet and lifetimes take with other
 * optimisers. Customers with identical (x, t_x, T) are pooled and weighted,
 * and the gamma/beta terms are shared per distinct x (see pooledLogLikelihood).
 */
export function fitBgNbd(customers: readonly RepeatPurchaseSummary[], options: BgNbdFitOptions = {}): BgNbdFit {
  if (customers.length === 0) throw new MlInputError('fitBgNbd needs at least one customer');
  customers.forEach(validateSummary);
  const histories = pool(customers);
  const start = options.start ?? { r: 1, alpha: 1, a: 1, b: 1 };
  validateParams(start);
  const toParams = ([lr, lalpha, la, lb]: number[]): BgNbdParameters => ({ r: exp(lr), alpha: exp(lalpha), a: exp(la), b: exp(lb) });
  // Mean negative log-likelihood keeps the tolerances independent of the cohort size.
  const objective = (point: number[]) => -pooledLogLikelihood(toParams(point), histories) / customers.length;
  const result = nelderMead(
    objective,
    [log(start.r), log(start.alpha), log(start.a), log(start.b)],
    { maxIterations: options.maxIterations ?? 4000, functionTolerance: 1e-12, pointTolerance: 1e-7 },
  );
  return {
    params: toParams(result.point),
    logLikelihood: -result.value * customers.length,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/**
 * P(alive at T | x, t_x, T) (Fader, Hardie & Lee 2008 note): the share of
 * the likelihood from the "not dropped out" term,
 * 1 / (1 + [x > 0] a / (b + x - 1) · ((α + T) / (α + t_x))^(r + x)).
 * A customer with no repeat purchase cannot have dropped out (drop-out only
 * happens right after a purchase), so P(alive) = 1 for x = 0.
 */
export function bgNbdProbabilityAlive(params: BgNbdParameters, customer: RepeatPurchaseSummary): number {
  validateParams(params);
  const { r, alpha, a, b } = params;
  const { frequency: x, recency: tx, age: T } = customer;
  if (x === 0) return 1;
  const logRatio = log(a / (b + x - 1)) + (r + x) * log((alpha + T) / (alpha + tx));
  return 1 / (1 + exp(logRatio));
}

/**
 * P(at least one purchase in (T, T + t] | history): the propensity the eval
 * compares. Given the history and that the customer is alive at T, the rate
 * has posterior lambda ~ Gamma(r + x, α + T) (the alive term of the
 * likelihood is lambda^x e^(-lambda T) times factors free of lambda). An
 * alive customer can only drop out after a purchase, so "no purchase in the
 * next t" means the Poisson process stays silent: P = e^(-lambda t), whose
 * posterior mean is ((α + T) / (α + T + t))^(r + x). Hence
 * P(buy in horizon) = P(alive) · (1 - ((α + T) / (α + T + t))^(r + x)).
 */
export function bgNbdProbabilityOfPurchase(
  params: BgNbdParameters,
  customer: RepeatPurchaseSummary,
  horizon: number,
): number {
  if (!(horizon > 0)) throw new MlInputError(`horizon must be > 0, got ${horizon}`);
  const { r, alpha } = params;
  const { frequency: x, age: T } = customer;
  const silent = exp((r + x) * log((alpha + T) / (alpha + T + horizon)));
  return bgNbdProbabilityAlive(params, customer) * (1 - silent);
}

/**
 * E[purchases in (T, T + t] | history], equation (10) of the paper:
 * (a + b + x - 1)/(a - 1) · [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
 * / (1 + [x > 0] a/(b + x - 1) ((α+T)/(α+t_x))^(r+x)), the last factor being
 * P(alive). The formula holds for any a != 1; at a = 1 it has a removable
 * singularity, which we refuse rather than return a cancelled-out number.
 */
export function bgNbdExpectedPurchases(params: BgNbdParameters, customer: RepeatPurchaseSummary, horizon: number): number {
  validateParams(params);
  if (!(horizon > 0)) throw new MlInputError(`horizon must be > 0, got ${horizon}`);
  const { r, alpha, a, b } = params;
  if (abs(a - 1) < 1e-9) throw new MlInputError('bgNbdExpectedPurchases is undefined at a = 1');
  const { frequency: x, age: T } = customer;
  const z = horizon / (alpha + T + horizon);
  const head = (a + b + x - 1) / (a - 1);
  const tail = pow((alpha + T) / (alpha + T + horizon), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
  return head * (1 - tail) * bgNbdProbabilityAlive(params, customer);
}
