/**
 * Proximal policy optimisation (Schulman et al. 2017) with a GAE critic, for
 * the correction policies of neural-policy.ts.
 *
 * Why PPO with these choices (measured on B1, see README): a categorical
 * policy over a few corrections to a tuned classical policy, started so that
 * "no correction" is the most likely action, keeps the greedy policy equal to
 * the classical one at iteration 0; clipped policy-gradient steps with a
 * critic (GAE) move it only where the sampled advantage says so. Rollouts
 * (thousands of environments × periods per iteration) run the network forward
 * in plain JS (rl/mlp.ts); TF.js computes the gradients on minibatches. The
 * greedy policy is evaluated on common random numbers every few iterations
 * and the best one is kept, so a noisy late update cannot make the result
 * worse than the structure it started from.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../random';
import { SupplyChainInputError, requirePositiveInteger } from '../errors';
import { Mlp } from './mlp';

/** A batch of environments stepped together. */
export interface VectorEnv {
  readonly numEnvs: number;
  readonly obsDim: number;
  /** Action heads per environment (one per stage). */
  readonly heads: number;
  /** Writes the current observations, numEnvs × obsDim. */
  observe(obs: Float32Array): void;
  /**
   * Applies the chosen correction indices (numEnvs × heads) and writes each
   * environment's reward and whether its episode ended (it then resets itself).
   */
  step(actions: Int32Array, rewards: Float32Array, dones: Uint8Array): void;
}

export interface PpoOptions {
  /** Corrections δ the policy chooses among; must contain 0. */
  deltas: number[];
  hidden?: number[];
  iterations: number;
  /** Periods per environment per iteration. */
  steps: number;
  epochs?: number;
  minibatch?: number;
  learningRate?: number;
  gamma?: number;
  lambda?: number;
  clip?: number;
  entropyCoef?: number;
  valueCoef?: number;
  /** Initial probability of δ = 0 (the classical order). */
  initialZeroProbability?: number;
  evaluateEvery?: number;
  seed: number;
  log?: (message: string) => void;
}

export interface PpoResult {
  network: Mlp;
  bestIteration: number;
  bestCost: number;
  initialCost: number;
  history: { iteration: number; cost: number; meanReward: number }[];
  seconds: number;
}

/** Log-probability of the taken actions and the entropy, summed over heads. */
function policyTerms(logits: tf.Tensor2D, actionsOneHot: tf.Tensor3D, heads: number, k: number) {
  const logProbs = tf.logSoftmax(tf.reshape(logits, [-1, heads, k]) as tf.Tensor3D);
  const taken = tf.sum(tf.mul(logProbs, actionsOneHot), [1, 2]);
  const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), [1, 2])));
  return { taken, entropy };
}

function tfForward(vars: tf.Variable[], x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  const layers = vars.length / 2;
  for (let l = 0; l < layers; l += 1) {
    h = tf.add(tf.matMul(h, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]) as tf.Tensor2D;
    if (l + 1 < layers) h = tf.tanh(h);
  }
  return h;
}

function toVariables(net: Mlp, prefix: string): tf.Variable[] {
  return net.params.map((p, i) => {
    const l = Math.floor(i / 2);
    const shape = i % 2 === 0 ? [net.sizes[l], net.sizes[l + 1]] : [net.sizes[l + 1]];
    return tf.variable(tf.tensor(p, shape), true, `${prefix}_${i}_${Math.random().toString(36).slice(2)}`);
  });
}

function copyBack(vars: tf.Variable[], net: Mlp): void {
  vars.forEach((v, i) => net.params[i].set(v.dataSync() as Float32Array));
}

/**
 * Trains a correction policy on `env`; `evaluate(network)` returns the cost
 * per period of the greedy policy on a fixed (common random numbers) test,
 * lower is better.
 */
export async function trainPpo(env: VectorEnv, evaluate: (network: Mlp) => number, options: PpoOptions): Promise<PpoResult> {
  const started = Date.now();
  requirePositiveInteger('iterations', options.iterations, true);
  requirePositiveInteger('steps', options.steps);
  const zero = options.deltas.indexOf(0);
  if (zero < 0) throw new SupplyChainInputError(`deltas must contain 0, got [${options.deltas.join(',')}]`);
  const k = options.deltas.length;
  const heads = env.heads;
  const hidden = options.hidden ?? [64, 64];
  const gamma = options.gamma ?? 0.99;
  const lambda = options.lambda ?? 0.95;
  const clip = options.clip ?? 0.2;
  const epochs = options.epochs ?? 4;
  const minibatch = options.minibatch ?? 2048;
  const entropyCoef = options.entropyCoef ?? 0.001;
  const valueCoef = options.valueCoef ?? 0.5;
  const evaluateEvery = options.evaluateEvery ?? 5;
  const log = options.log ?? (() => undefined);
  const random = mulberry32(options.seed >>> 0);

  const policy = new Mlp([env.obsDim, ...hidden, heads * k]);
  policy.initialise(random, 0.01);
  const p0 = options.initialZeroProbability ?? 0.7;
  const bias = policy.params[policy.params.length - 1];
  for (let h = 0; h < heads; h += 1) bias[h * k + zero] = Math.log((p0 * (k - 1)) / (1 - p0));
  const critic = new Mlp([env.obsDim, ...hidden, 1]);
  critic.initialise(random, 0.1);

  const policyVars = toVariables(policy, 'policy');
  const criticVars = toVariables(critic, 'critic');
  const optimizer = tf.train.adam(options.learningRate ?? 3e-4);

  const n = env.numEnvs;
  const T = options.steps;
  const batch = n * T;
  const obs = new Float32Array((T + 1) * n * env.obsDim);
  const actions = new Int32Array(batch * heads);
  const logps = new Float32Array(batch);
  const values = new Float32Array((T + 1) * n);
  const rewards = new Float32Array(batch);
  const dones = new Uint8Array(batch);
  const logits = new Float32Array(heads * k);
  const value = new Float32Array(1);
  const probs = new Float64Array(k);

  const initialCost = evaluate(policy);
  let best = policy.clone();
  let bestCost = initialCost;
  let bestIteration = 0;
  const history: PpoResult['history'] = [{ iteration: 0, cost: initialCost, meanReward: Number.NaN }];
  log(`ppo: iteration 0 greedy cost ${initialCost.toFixed(4)} (the classical structure)`);

  for (let iteration = 1; iteration <= options.iterations; iteration += 1) {
    // Rollout.
    for (let t = 0; t <= T; t += 1) {
      const base = t * n * env.obsDim;
      env.observe(obs.subarray(base, base + n * env.obsDim));
      for (let e = 0; e < n; e += 1) {
        const row = base + e * env.obsDim;
        critic.forward(obs, row, value);
        values[t * n + e] = value[0];
        if (t === T) continue;
        policy.forward(obs, row, logits);
        let lp = 0;
        for (let h = 0; h < heads; h += 1) {
          let max = -Infinity;
          for (let a = 0; a < k; a += 1) max = Math.max(max, logits[h * k + a]);
          let sum = 0;
          for (let a = 0; a < k; a += 1) sum += probs[a] = Math.exp(logits[h * k + a] - max);
          let u = random() * sum;
          let chosen = k - 1;
          for (let a = 0; a < k; a += 1) {
            u -= probs[a];
            if (u <= 0) {
              chosen = a;
              break;
            }
          }
          actions[(t * n + e) * heads + h] = chosen;
          lp += logits[h * k + chosen] - max - Math.log(sum);
        }
        logps[t * n + e] = lp;
      }
      if (t < T) env.step(actions.subarray(t * n * heads, (t + 1) * n * heads), rewards.subarray(t * n, (t + 1) * n), dones.subarray(t * n, (t + 1) * n));
    }
    // Generalised advantage estimation.
    const advantages = new Float32Array(batch);
    const returns = new Float32Array(batch);
    for (let e = 0; e < n; e += 1) {
      let gae = 0;
      for (let t = T - 1; t >= 0; t -= 1) {
        const i = t * n + e;
        const notDone = dones[i] ? 0 : 1;
        const delta = rewards[i] + gamma * values[(t + 1) * n + e] * notDone - values[i];
        gae = delta + gamma * lambda * notDone * gae;
        advantages[i] = gae;
        returns[i] = gae + values[i];
      }
    }
    let mean = 0;
    for (const a of advantages) mean += a;
    mean /= batch;
    let variance = 0;
    for (const a of advantages) variance += (a - mean) ** 2;
    const std = Math.sqrt(variance / batch) + 1e-8;
    for (let i = 0; i < batch; i += 1) advantages[i] = (advantages[i] - mean) / std;
    let rewardSum = 0;
    for (const r of rewards) rewardSum += r;

    // Clipped updates on shuffled minibatches.
    const order = Array.from({ length: batch }, (_, i) => i);
    for (let epoch = 0; epoch < epochs; epoch += 1) {
      for (let i = order.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let start = 0; start + minibatch <= batch || start === 0; start += minibatch) {
        const idx = order.slice(start, Math.min(start + minibatch, batch));
        const m = idx.length;
        const xb = new Float32Array(m * env.obsDim);
        const ab = new Float32Array(m * heads * k);
        const oldb = new Float32Array(m);
        const advb = new Float32Array(m);
        const retb = new Float32Array(m);
        idx.forEach((i, r) => {
          xb.set(obs.subarray(i * env.obsDim, (i + 1) * env.obsDim), r * env.obsDim);
          for (let h = 0; h < heads; h += 1) ab[(r * heads + h) * k + actions[i * heads + h]] = 1;
          oldb[r] = logps[i];
          advb[r] = advantages[i];
          retb[r] = returns[i];
        });
        tf.tidy(() => {
          const x = tf.tensor2d(xb, [m, env.obsDim]);
          const onehot = tf.tensor3d(ab, [m, heads, k]);
          const old = tf.tensor1d(oldb);
          const adv = tf.tensor1d(advb);
          const ret = tf.tensor1d(retb);
          optimizer.minimize(() => {
            const { taken, entropy } = policyTerms(tfForward(policyVars, x), onehot, heads, k);
            const ratio = tf.exp(tf.sub(taken, old));
            const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), adv));
            const v = tf.reshape(tfForward(criticVars, x), [-1]);
            const valueLoss = tf.mean(tf.square(tf.sub(v, ret)));
            return tf.sub(tf.add(tf.neg(tf.mean(surrogate)), tf.mul(valueCoef, valueLoss)), tf.mul(entropyCoef, entropy)) as tf.Scalar;
          }, false, [...policyVars, ...criticVars]);
        });
        if (start + minibatch >= batch) break;
      }
    }
    copyBack(policyVars, policy);
    copyBack(criticVars, critic);
    const meanReward = rewardSum / batch;
    if (iteration % evaluateEvery === 0 || iteration === options.iterations) {
      const cost = evaluate(policy);
      history.push({ iteration, cost, meanReward });
      if (cost < bestCost) {
        bestCost = cost;
        best = policy.clone();
        bestIteration = iteration;
      }
      log(`ppo: iteration ${iteration}/${options.iterations} mean reward ${meanReward.toFixed(4)} greedy cost ${cost.toFixed(4)} (best ${bestCost.toFixed(4)} at ${bestIteration}), ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }
  tf.dispose([...policyVars, ...criticVars]);
  optimizer.dispose();
  return { network: best, bestIteration, bestCost, initialCost, history, seconds: (Date.now() - started) / 1000 };
}
