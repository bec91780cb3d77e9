/**
 * The propensity MLP's forward pass in plain TypeScript, for the request path.
 *
 * A request scores ~200 candidate rows; through TF.js that is a tensor
 * allocation, a kernel dispatch per layer and a dataSync, which cost more
 * than the arithmetic at this size. Here the weights are copied once out of
 * the loaded network into typed arrays and every call reuses preallocated
 * buffers, so scoring allocates nothing per row. It reproduces
 * libs/ml predictPropensity (standardiser, dense layers, sigmoid, calibrator);
 * mlp-scorer.spec.ts holds the two together for every calibration kind.
 */
import { interpolateIsotonic, type Calibrator, type LoadedPropensityModel } from '@storeloop/ml';
import { StoreloopError } from '@storeloop/observability';
import { INVALID_QUERY, MODEL_ARTIFACT_INVALID } from './embedding-index';

type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh';
const ACTIVATIONS: readonly string[] = ['linear', 'relu', 'sigmoid', 'tanh'];

/** Layers that compute nothing at inference time. */
const PASS_THROUGH_LAYERS = new Set(['Dropout', 'InputLayer']);

interface DenseLayer {
  inputs: number;
  units: number;
  /**
   * Kernel transposed to units × inputs, so each output is one contiguous dot
   * product. Float64 rather than the stored float32: V8 then loads without a
   * conversion, and the whole 97-128-64-1 net is only ~170 KB.
   */
  kernelT: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

/** Probabilities stay inside [CLIP, 1 - CLIP], as libs/ml applyCalibrator keeps them. */
const CLIP = 1e-6;

/** The subset of a TF.js layer this module reads (kept structural so no tf import is needed here). */
interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): { activation?: unknown };
  getWeights(): { shape: number[]; dataSync(): ArrayLike<number> }[];
}

function modelError(message: string): StoreloopError {
  return new StoreloopError(MODEL_ARTIFACT_INVALID, message, { retriable: false });
}

export class MlpScorer {
  readonly featureCount: number;
  /** Activations of each layer for the current batch (layer l holds n × units[l]), grown on demand. */
  private scratch: Float64Array[];
  private capacityRows = 0;
  /** The first layer restricted to the columns that vary within a batch (see firstLayerInput), rebuilt per call. */
  private readonly folded: DenseLayer;
  private readonly varyingColumns: Int32Array;
  private compactInput = new Float64Array(0);

  private constructor(
    readonly featureNames: readonly string[],
    private readonly means: Float64Array,
    private readonly invStds: Float64Array,
    private readonly layers: readonly DenseLayer[],
    readonly calibrator: Calibrator,
  ) {
    this.featureCount = featureNames.length;
    const first = layers[0];
    this.folded = { ...first, kernelT: new Float64Array(first.kernelT.length), bias: new Float64Array(first.units) };
    this.varyingColumns = new Int32Array(this.featureCount);
    this.scratch = [];
    this.ensureCapacity(256);
  }

  /**
   * Copies the weights out of a loaded model (from libs/ml loadScorerArtifact);
   * the TF.js network can be disposed afterwards. Accepts Dense layers with
   * linear/relu/sigmoid/tanh activations, skips Dropout, and requires the
   * output to be one sigmoid unit (the calibrator reads probabilities).
   */
  static fromLoaded(model: Pick<LoadedPropensityModel, 'network' | 'featureNames' | 'standardizer' | 'calibrator'>): MlpScorer {
    const width = model.featureNames.length;
    const { means, stds, featureNames } = model.standardizer;
    if (width === 0) throw modelError('the scorer has no input features');
    if (means.length !== width || stds.length !== width || featureNames.length !== width) {
      throw modelError(`the standardizer covers ${means.length} means / ${stds.length} stds, the model has ${width} features`);
    }
    const layers: DenseLayer[] = [];
    let inputs = width;
    for (const layer of model.network.layers as unknown as LayerLike[]) {
      const kind = layer.getClassName();
      if (PASS_THROUGH_LAYERS.has(kind)) continue;
      if (kind !== 'Dense') throw modelError(`layer '${layer.name}' is a ${kind}; the serving scorer runs Dense and Dropout layers only`);
      layers.push(denseLayer(layer, inputs));
      inputs = layers[layers.length - 1].units;
    }
    const last = layers[layers.length - 1];
    if (!last || last.units !== 1 || last.activation !== 'sigmoid') {
      throw modelError(`the network must end in one sigmoid unit, it ends in ${last ? `${last.units} ${last.activation} unit(s)` : 'no Dense layer'}`);
    }
    validateCalibrator(model.calibrator);
    return new MlpScorer(
      [...model.featureNames],
      Float64Array.from(means),
      Float64Array.from(stds, (s) => 1 / s),
      layers,
      model.calibrator,
    );
  }

  /**
   * Calibrated propensities of `n` rows given row-major in `rows`
   * (n × featureCount, columns in `featureNames` order). Writes into `out`
   * when given (length ≥ n), else into a new array of n.
   */
  scoreRows(rows: Float32Array | Float64Array, n: number, out?: Float64Array): Float64Array {
    const width = this.featureCount;
    if (!Number.isSafeInteger(n) || n < 0) throw new StoreloopError(INVALID_QUERY, `n must be a non-negative integer, got ${n}`);
    if (rows.length < n * width) throw new StoreloopError(INVALID_QUERY, `rows hold ${rows.length} values, ${n} rows × ${width} features need ${n * width}`);
    const result = out ?? new Float64Array(n);
    if (result.length < n) throw new StoreloopError(INVALID_QUERY, `out holds ${result.length} values, ${n} are needed`);
    this.ensureCapacity(n);

    const input = this.scratch[0];
    const { means, invStds } = this;
    for (let r = 0, p = 0; r < n; r += 1) {
      for (let j = 0; j < width; j += 1, p += 1) {
        const x = rows[p];
        // The trainer refuses non-finite features too; a NaN here would come back as a NaN score.
        if (!Number.isFinite(x)) throw new StoreloopError(INVALID_QUERY, `row ${r} feature '${this.featureNames[j]}' is ${x}, features must be finite`);
        input[p] = (x - means[j]) * invStds[j];
      }
    }
    const first = this.firstLayerInput(input, n);
    denseForward(first.layer, first.input, this.scratch[1], n);
    for (let l = 1; l < this.layers.length; l += 1) denseForward(this.layers[l], this.scratch[l], this.scratch[l + 1], n);
    const raw = this.scratch[this.layers.length];
    for (let r = 0; r < n; r += 1) result[r] = calibrate(this.calibrator, raw[r]);
    return result;
  }

  /**
   * A request's rows are one user's candidates, so the user's columns hold the
   * same value in every row. Their share of the first layer is then the same
   * for every row: it is added to the bias once, and the layer multiplies only
   * the columns that vary (with user and item columns about even, half the
   * first layer's work). Costs one pass over the batch to find those columns.
   */
  private firstLayerInput(input: Float64Array, n: number): { layer: DenseLayer; input: Float64Array } {
    const width = this.featureCount;
    const first = this.layers[0];
    if (n < 2) return { layer: first, input };
    const varying = this.varyingColumns;
    let m = 0;
    for (let c = 0; c < width; c += 1) {
      const value = input[c];
      let r = 1;
      while (r < n && input[r * width + c] === value) r += 1;
      if (r < n) varying[m++] = c;
    }
    if (m === width) return { layer: first, input };
    const folded = this.folded;
    folded.inputs = m;
    for (let u = 0; u < first.units; u += 1) {
      const w0 = u * width;
      let bias = first.bias[u];
      for (let c = 0, k = 0; c < width; c += 1) {
        if (k < m && varying[k] === c) {
          folded.kernelT[u * m + k] = first.kernelT[w0 + c];
          k += 1;
        } else {
          bias += input[c] * first.kernelT[w0 + c];
        }
      }
      folded.bias[u] = bias;
    }
    const compact = this.compactInput;
    for (let r = 0; r < n; r += 1) {
      const a = r * width;
      const o = r * m;
      for (let k = 0; k < m; k += 1) compact[o + k] = input[a + varying[k]];
    }
    return { layer: folded, input: compact };
  }

  /**
   * The first layer's pre-activation share of some columns (standardised,
   * times their kernel columns), `units` values. A request's candidates differ
   * only in their item and cross columns; an item's share is the same for
   * every user, so the caller computes it once per item and catalogue refresh
   * and `scoreFactored` adds it instead of multiplying those columns again.
   */
  firstLayerShare(columns: readonly number[], values: ArrayLike<number>, out = new Float64Array(this.layers[0].units)): Float64Array {
    const first = this.layers[0];
    const width = this.featureCount;
    out.fill(0);
    for (let k = 0; k < columns.length; k += 1) {
      const c = columns[k];
      const x = values[k];
      if (!Number.isFinite(x)) throw new StoreloopError(INVALID_QUERY, `feature '${this.featureNames[c]}' is ${x}, features must be finite`);
      const z = (x - this.means[c]) * this.invStds[c];
      if (z === 0) continue;
      for (let u = 0; u < first.units; u += 1) out[u] += z * first.kernelT[u * width + c];
    }
    return out;
  }

  /**
   * Calibrated scores of n rows given as shares of the first layer: `shared`
   * (the columns equal in every row, e.g. the user's, from firstLayerShare),
   * one precomputed share per row (`rowShares[r]`, e.g. the item's), and the
   * remaining `columns` with their per-row values (`values`, n × columns.length,
   * e.g. the user × item cross features). Equal to scoreRows on the assembled
   * rows (mlp-scorer.spec.ts); the first layer costs units × (1 + columns)
   * per row instead of units × featureCount.
   */
  scoreFactored(shared: Float64Array, rowShares: readonly Float64Array[], columns: readonly number[], values: ArrayLike<number>, n: number, out = new Float64Array(n)): Float64Array {
    const first = this.layers[0];
    const width = this.featureCount;
    const units = first.units;
    const m = columns.length;
    this.ensureCapacity(n);
    const h = this.scratch[1];
    for (let r = 0; r < n; r += 1) {
      const share = rowShares[r];
      const o = r * units;
      for (let u = 0; u < units; u += 1) h[o + u] = first.bias[u] + shared[u] + share[u];
      for (let k = 0; k < m; k += 1) {
        const c = columns[k];
        const x = values[r * m + k];
        if (!Number.isFinite(x)) throw new StoreloopError(INVALID_QUERY, `row ${r} feature '${this.featureNames[c]}' is ${x}, features must be finite`);
        const z = (x - this.means[c]) * this.invStds[c];
        if (z === 0) continue;
        for (let u = 0; u < units; u += 1) h[o + u] += z * first.kernelT[u * width + c];
      }
    }
    activate(first.activation, h, n * units);
    for (let l = 1; l < this.layers.length; l += 1) denseForward(this.layers[l], this.scratch[l], this.scratch[l + 1], n);
    const raw = this.scratch[this.layers.length];
    for (let r = 0; r < n; r += 1) out[r] = calibrate(this.calibrator, raw[r]);
    return out;
  }

  private ensureCapacity(n: number): void {
    if (n <= this.capacityRows) return;
    const rows = Math.max(n, this.capacityRows * 2);
    this.scratch = [new Float64Array(rows * this.featureCount), ...this.layers.map((layer) => new Float64Array(rows * layer.units))];
    this.compactInput = new Float64Array(rows * this.featureCount);
    this.capacityRows = rows;
  }
}

function denseLayer(layer: LayerLike, inputs: number): DenseLayer {
  const activation = layer.getConfig().activation ?? 'linear';
  if (typeof activation !== 'string' || !ACTIVATIONS.includes(activation)) {
    throw modelError(`layer '${layer.name}' has activation ${JSON.stringify(activation)}; supported: ${ACTIVATIONS.join(', ')}`);
  }
  const [kernel, bias] = layer.getWeights();
  if (!kernel || kernel.shape.length !== 2 || kernel.shape[0] !== inputs) {
    throw modelError(`layer '${layer.name}' kernel has shape ${JSON.stringify(kernel?.shape)}, expected [${inputs}, units]`);
  }
  const units = kernel.shape[1];
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== units)) {
    throw modelError(`layer '${layer.name}' bias has shape ${JSON.stringify(bias.shape)}, expected [${units}]`);
  }
  const values = kernel.dataSync();
  const kernelT = new Float64Array(units * inputs);
  for (let i = 0; i < inputs; i += 1) for (let j = 0; j < units; j += 1) kernelT[j * inputs + i] = values[i * units + j];
  return { inputs, units, kernelT, bias: bias ? Float64Array.from(bias.dataSync()) : new Float64Array(units), activation: activation as Activation };
}

/**
 * output (n × units) = act(input (n × inputs) · kernel + bias), register-blocked:
 * a 4-row × 2-unit tile keeps eight sums in registers and loads each input and
 * kernel value once per tile. The loop is bound by loads, not multiplies; this
 * tile measured about twice the rows/s of one unit at a time.
 */
function denseForward(layer: DenseLayer, input: Float64Array, output: Float64Array, n: number): void {
  const { inputs, units, kernelT, bias } = layer;
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const a0 = r * inputs;
    const a1 = a0 + inputs;
    const a2 = a1 + inputs;
    const a3 = a2 + inputs;
    const o0 = r * units;
    const o1 = o0 + units;
    const o2 = o1 + units;
    const o3 = o2 + units;
    let j = 0;
    for (; j + 2 <= units; j += 2) {
      const w0 = j * inputs;
      const w1 = w0 + inputs;
      let s0 = bias[j];
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      let t0 = bias[j + 1];
      let t1 = t0;
      let t2 = t0;
      let t3 = t0;
      for (let i = 0; i < inputs; i += 1) {
        const v = kernelT[w0 + i];
        const w = kernelT[w1 + i];
        const x0 = input[a0 + i];
        const x1 = input[a1 + i];
        const x2 = input[a2 + i];
        const x3 = input[a3 + i];
        s0 += x0 * v;
        s1 += x1 * v;
        s2 += x2 * v;
        s3 += x3 * v;
        t0 += x0 * w;
        t1 += x1 * w;
        t2 += x2 * w;
        t3 += x3 * w;
      }
      output[o0 + j] = s0;
      output[o1 + j] = s1;
      output[o2 + j] = s2;
      output[o3 + j] = s3;
      output[o0 + j + 1] = t0;
      output[o1 + j + 1] = t1;
      output[o2 + j + 1] = t2;
      output[o3 + j + 1] = t3;
    }
    for (; j < units; j += 1) {
      const w0 = j * inputs;
      let s0 = bias[j];
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let i = 0; i < inputs; i += 1) {
        const v = kernelT[w0 + i];
        s0 += input[a0 + i] * v;
        s1 += input[a1 + i] * v;
        s2 += input[a2 + i] * v;
        s3 += input[a3 + i] * v;
      }
      output[o0 + j] = s0;
      output[o1 + j] = s1;
      output[o2 + j] = s2;
      output[o3 + j] = s3;
    }
  }
  for (; r < n; r += 1) {
    const a = r * inputs;
    for (let j = 0; j < units; j += 1) {
      const w0 = j * inputs;
      let s = bias[j];
      for (let i = 0; i < inputs; i += 1) s += input[a + i] * kernelT[w0 + i];
      output[r * units + j] = s;
    }
  }
  activate(layer.activation, output, n * units);
}

function activate(activation: Activation, values: Float64Array, count: number): void {
  switch (activation) {
    case 'relu':
      for (let i = 0; i < count; i += 1) if (!(values[i] > 0)) values[i] = 0;
      return;
    case 'sigmoid':
      for (let i = 0; i < count; i += 1) values[i] = sigmoid(values[i]);
      return;
    case 'tanh':
      for (let i = 0; i < count; i += 1) values[i] = Math.tanh(values[i]);
      return;
    case 'linear':
      return;
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function logit(p: number): number {
  const q = Math.min(Math.max(p, CLIP), 1 - CLIP);
  return Math.log(q / (1 - q));
}

/** libs/ml applyCalibrator for one score, without its per-call arrays. */
function calibrate(calibrator: Calibrator, s: number): number {
  if (calibrator.method === 'none') return s;
  const p =
    calibrator.method === 'platt' ? sigmoid(calibrator.slope * logit(s) + calibrator.intercept) : interpolateIsotonic(calibrator.thresholds, calibrator.values, s);
  return Math.min(Math.max(p, CLIP), 1 - CLIP);
}

function validateCalibrator(calibrator: Calibrator): void {
  switch (calibrator?.method) {
    case 'none':
      return;
    case 'platt':
      if (!Number.isFinite(calibrator.slope) || !Number.isFinite(calibrator.intercept)) throw modelError('the Platt calibrator needs a finite slope and intercept');
      return;
    case 'isotonic':
      if (!Array.isArray(calibrator.thresholds) || calibrator.thresholds.length === 0 || calibrator.thresholds.length !== calibrator.values?.length) {
        throw modelError('the isotonic calibrator needs as many thresholds as values, at least one');
      }
      return;
    default:
      throw modelError(`unknown calibrator method ${JSON.stringify((calibrator as { method?: unknown })?.method)}`);
  }
}
