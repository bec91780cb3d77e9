/**
 * A scatter-add `UnsortedSegmentSum` for the cpu and wasm TF.js backends.
 *
 * Why: `UnsortedSegmentSum` is the gradient of `tf.gather`, so every
 * embedding lookup's backward pass runs it. In tfjs 4.22 the cpu backend
 * builds it from one equal/cast/multiply/sum per segment (O(segments x rows)
 * work and four temporary tensors per segment: a 32-dimensional user/item
 * dot-product model trained at ~54 samples/s), and the wasm backend does not
 * register the kernel at all (training with an embedding fails there). One
 * pass over the rows, adding each row into its segment, is O(rows x inner).
 *
 * Semantics follow TensorFlow's `UnsortedSegmentSum`: output shape
 * `[numSegments, ...x.shape.slice(segmentIds.rank)]`, repeated ids add up,
 * negative ids are dropped, an id >= numSegments is an error (TF raises
 * "out of range"; tfjs's own cpu kernel silently drops it, which hides
 * indexing bugs in the forward `gather`, so we throw instead).
 *
 * Registered through the public kernel API (`tf.registerKernel`), so it
 * works with the published packages and needs no fork.
 */
import * as tf from '@tensorflow/tfjs';
import { MlInputError } from '../errors';

type NumericArray = Float32Array | Int32Array;

/** Plain scatter-add; shared by the two backends and the tests' reference checks. */
export function scatterAddSegments(
  x: ArrayLike<number>,
  segmentIds: ArrayLike<number>,
  numSegments: number,
  out: NumericArray,
): void {
  const rows = segmentIds.length;
  const inner = rows === 0 ? 0 : x.length / rows;
  if (!Number.isInteger(inner)) {
    throw new MlInputError(`UnsortedSegmentSum: x has ${x.length} values, not a multiple of ${rows} segment ids`);
  }
  out.fill(0);
  for (let r = 0; r < rows; r += 1) {
    const segment = segmentIds[r];
    if (segment < 0) continue; // TF drops negative ids
    if (segment >= numSegments) {
      throw new MlInputError(`UnsortedSegmentSum: segmentIds[${r}] = ${segment} is out of range [0, ${numSegments})`);
    }
    const src = r * inner;
    const dst = segment * inner;
    for (let j = 0; j < inner; j += 1) out[dst + j] += x[src + j];
  }
}

function outputShape(x: tf.TensorInfo, segmentIds: tf.TensorInfo, numSegments: number): number[] {
  const idsRank = segmentIds.shape.length;
  for (let d = 0; d < idsRank; d += 1) {
    if (x.shape[d] !== segmentIds.shape[d]) {
      throw new MlInputError(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
      );
    }
  }
  return [numSegments, ...x.shape.slice(idsRank)];
}

function attrsOf(args: { attrs?: tf.NamedAttrMap }): number {
  const numSegments = Number(args.attrs?.numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new MlInputError(`UnsortedSegmentSum: numSegments must be a non-negative integer, got ${args.attrs?.numSegments}`);
  }
  return numSegments;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The parts of the cpu backend (MathBackendCPU) this kernel uses. */
interface CpuBackendLike {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: NumericArray): tf.TensorInfo;
}

/** The parts of the wasm backend (BackendWasm) this kernel uses. */
interface WasmBackendLike {
  readSync(dataId: tf.DataId): unknown;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): NumericArray;
}

function newArray(dtype: tf.DataType, length: number): NumericArray {
  if (dtype === 'float32') return new Float32Array(length);
  if (dtype === 'int32') return new Int32Array(length);
  throw new MlInputError(`UnsortedSegmentSum: dtype ${dtype} is not supported (float32, int32)`);
}

const cpuKernel: tf.KernelFunc = (args) => {
  const backend = args.backend as unknown as CpuBackendLike;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = attrsOf(args);
  const shape = outputShape(x, segmentIds, numSegments);
  const out = newArray(x.dtype, size(shape));
  scatterAddSegments(
    backend.readSync(x.dataId) as NumericArray,
    backend.readSync(segmentIds.dataId) as NumericArray,
    numSegments,
    out,
  );
  return backend.makeTensorInfo(shape, x.dtype, out);
};

const wasmKernel: tf.KernelFunc = (args) => {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = attrsOf(args);
  const shape = outputShape(x, segmentIds, numSegments);
  newArray(x.dtype, 0); // dtype check before allocating on the wasm heap
  // readSync copies out of the wasm heap; read both inputs before allocating
  // the output, since an allocation may grow (and so detach) the heap.
  const values = backend.readSync(x.dataId) as NumericArray;
  const ids = backend.readSync(segmentIds.dataId) as NumericArray;
  const info = backend.makeOutput(shape, x.dtype);
  scatterAddSegments(values, ids, numSegments, backend.typedArrayFromHeap(info));
  return info;
};

/** Backends whose `UnsortedSegmentSum` this module replaces or adds. */
export const FAST_SEGMENT_SUM_BACKENDS = ['cpu', 'wasm'] as const;

/** Backend name -> the kernel we replaced (undefined: there was none, as on wasm). */
const registered = new Map<string, tf.KernelConfig | undefined>();

/**
 * Registers the scatter-add kernel for `backendName` ('cpu' or 'wasm'),
 * replacing the built-in one. Idempotent. Returns false for other backends
 * (tfjs-node's native kernel is already fast).
 */
export function registerFastSegmentSum(backendName: string): boolean {
  if (backendName !== 'cpu' && backendName !== 'wasm') return false;
  if (registered.has(backendName)) return true;
  const original = tf.getKernel(tf.UnsortedSegmentSum, backendName);
  if (original) tf.unregisterKernel(tf.UnsortedSegmentSum, backendName);
  tf.registerKernel({
    kernelName: tf.UnsortedSegmentSum,
    backendName,
    kernelFunc: backendName === 'cpu' ? cpuKernel : wasmKernel,
  });
  registered.set(backendName, original);
  return true;
}

/**
 * Puts back tfjs's own cpu kernel (and removes ours from wasm). For the
 * benchmark's "without the fast kernel" row and for tests; not for services.
 */
export function unregisterFastSegmentSum(backendName: string): void {
  if (!registered.has(backendName)) return;
  const original = registered.get(backendName);
  tf.unregisterKernel(tf.UnsortedSegmentSum, backendName);
  if (original) tf.registerKernel(original);
  registered.delete(backendName);
}

/** Whether our kernel is the one registered for `backendName`. */
export function isFastSegmentSumRegistered(backendName: string): boolean {
  return registered.has(backendName);
}
