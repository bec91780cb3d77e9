/**
 * A small fully connected network (tanh hidden layers, linear output) whose
 * parameters live in plain Float32Arrays. Rollouts and deployed policies run
 * this forward pass in plain JavaScript: for nets this small it is far faster
 * than a TF.js call per simulated period; TF.js does the gradient updates
 * (ppo.ts) on the same arrays.
 */
import type { Random } from '../random';
import { SupplyChainInputError } from '../errors';

export interface MlpShape {
  /** Layer widths, input first, output last, e.g. [6, 64, 64, 5]. */
  sizes: number[];
}

export class Mlp {
  /** w0, b0, w1, b1, ...; w_l is row-major [sizes[l]][sizes[l+1]]. */
  readonly params: Float32Array[];
  private readonly scratch: Float32Array[];

  constructor(
    readonly sizes: readonly number[],
    params?: Float32Array[],
  ) {
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new SupplyChainInputError(`network sizes must be at least two positive integers, got [${sizes.join(',')}]`);
    }
    const expected = this.parameterShapes();
    if (params) {
      if (params.length !== expected.length || params.some((p, i) => p.length !== expected[i])) {
        throw new SupplyChainInputError(`network weights do not match the layer sizes [${sizes.join(',')}]`);
      }
      this.params = params;
    } else this.params = expected.map((n) => new Float32Array(n));
    this.scratch = sizes.map((s) => new Float32Array(s));
  }

  /** Number of values in each parameter array. */
  parameterShapes(): number[] {
    const shapes: number[] = [];
    for (let l = 0; l + 1 < this.sizes.length; l += 1) shapes.push(this.sizes[l] * this.sizes[l + 1], this.sizes[l + 1]);
    return shapes;
  }

  /** Glorot-uniform weights, zero biases; the output layer scaled by `outputScale` (small: a near-uniform start). */
  initialise(random: Random, outputScale = 1): void {
    for (let l = 0; l + 1 < this.sizes.length; l += 1) {
      const limit = Math.sqrt(6 / (this.sizes[l] + this.sizes[l + 1])) * (l + 2 === this.sizes.length ? outputScale : 1);
      const w = this.params[2 * l];
      for (let i = 0; i < w.length; i += 1) w[i] = (random() * 2 - 1) * limit;
      this.params[2 * l + 1].fill(0);
    }
  }

  /** Forward pass of one input row (`input` from `offset`) into `out`. */
  forward(input: ArrayLike<number>, offset: number, out: Float32Array): void {
    let current: ArrayLike<number> = input;
    let start = offset;
    const layers = this.sizes.length - 1;
    for (let l = 0; l < layers; l += 1) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const w = this.params[2 * l];
      const b = this.params[2 * l + 1];
      const target = l + 1 === layers ? out : this.scratch[l + 1];
      for (let o = 0; o < nOut; o += 1) target[o] = b[o];
      for (let i = 0; i < nIn; i += 1) {
        const x = current[start + i];
        if (x === 0) continue;
        const row = i * nOut;
        for (let o = 0; o < nOut; o += 1) target[o] += x * w[row + o];
      }
      if (l + 1 < layers) for (let o = 0; o < nOut; o += 1) target[o] = Math.tanh(target[o]);
      current = target;
      start = 0;
    }
  }

  clone(): Mlp {
    return new Mlp(
      this.sizes,
      this.params.map((p) => p.slice()),
    );
  }
}
