import * as tf from '@tensorflow/tfjs';
import { switchTfBackend } from './backend';
import { isFastSegmentSumRegistered, scatterAddSegments } from './segment-sum-kernel';

/** Dot-product embedding model: logit = <U[user], V[item]>, mean binary cross-entropy. */
function lossThroughGather(U: tf.Tensor2D, V: tf.Tensor2D, users: tf.Tensor1D, items: tf.Tensor1D, labels: tf.Tensor1D) {
  const logits = tf.sum(tf.mul(tf.gather(U, users), tf.gather(V, items)), 1);
  return tf.losses.sigmoidCrossEntropy(labels, logits);
}

/** Reference formulation without gather: one-hot rows times the tables (gradients through matMul only). */
function lossThroughOneHot(U: tf.Tensor2D, V: tf.Tensor2D, users: tf.Tensor1D, items: tf.Tensor1D, labels: tf.Tensor1D) {
  const u = tf.matMul(tf.oneHot(users, U.shape[0]).toFloat(), U);
  const v = tf.matMul(tf.oneHot(items, V.shape[0]).toFloat(), V);
  return tf.losses.sigmoidCrossEntropy(labels, tf.sum(tf.mul(u, v), 1));
}

function expectClose(actual: Float32Array | Int32Array | Uint8Array, expected: Float32Array | Int32Array | Uint8Array, tolerance = 1e-5) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i += 1) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThan(tolerance);
}

describe.each(['cpu', 'wasm'])('fast UnsortedSegmentSum on %s', (backend) => {
  beforeAll(async () => {
    const description = await switchTfBackend(backend);
    expect(description.backend).toBe(backend);
    expect(description.fastKernels).toContain('UnsortedSegmentSum');
    expect(isFastSegmentSumRegistered(backend)).toBe(true);
  });

  it('gives embedding gradients equal to the one-hot matmul reference, with repeated indices', () => {
    const U = tf.randomNormal([7, 32], 0, 0.3, 'float32', 1) as tf.Tensor2D;
    const V = tf.randomNormal([11, 32], 0, 0.3, 'float32', 2) as tf.Tensor2D;
    // user 3 and item 5 repeat; users 0, 6 and items 0, 10 never appear (their gradient must be 0)
    const users = tf.tensor1d([3, 1, 3, 2, 3, 4, 5, 1], 'int32');
    const items = tf.tensor1d([5, 5, 2, 9, 5, 1, 3, 7], 'int32');
    const labels = tf.tensor1d([1, 0, 1, 1, 0, 1, 0, 1]);
    const fast = tf.grads((u: tf.Tensor, v: tf.Tensor) => lossThroughGather(u as tf.Tensor2D, v as tf.Tensor2D, users, items, labels))([U, V]);
    const reference = tf.grads((u: tf.Tensor, v: tf.Tensor) => lossThroughOneHot(u as tf.Tensor2D, v as tf.Tensor2D, users, items, labels))([U, V]);
    expectClose(fast[0].dataSync(), reference[0].dataSync());
    expectClose(fast[1].dataSync(), reference[1].dataSync());
    expect(Array.from(fast[0].slice([0, 0], [1, 32]).dataSync()).every((g) => g === 0)).toBe(true);
    expect(Math.abs(fast[1].slice([5, 0], [1, 32]).sum().dataSync()[0])).toBeGreaterThan(0);
  });

  it('matches a plain-JS scatter-add for 3-d inputs and 2-d segment ids', () => {
    const x = tf.randomUniform([2, 3, 4], -1, 1, 'float32', 3);
    const ids = tf.tensor2d([[0, 2, 2], [4, 0, 1]], [2, 3], 'int32');
    const out = tf.unsortedSegmentSum(x, ids as unknown as tf.Tensor1D, 5);
    expect(out.shape).toEqual([5, 4]);
    const expected = new Float32Array(20);
    scatterAddSegments(x.dataSync(), ids.dataSync(), 5, expected);
    expectClose(out.dataSync(), expected);
    // segment 2 is the sum of rows (0,1) and (0,2); segment 3 is empty
    const rows = x.reshape([6, 4]).arraySync() as number[][];
    const seg = out.arraySync() as number[][];
    for (let j = 0; j < 4; j += 1) {
      expect(seg[2][j]).toBeCloseTo(rows[1][j] + rows[2][j], 5);
      expect(seg[3][j]).toBe(0);
    }
  });

  it('drops negative segment ids and rejects ids >= numSegments, as TensorFlow does', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const dropped = tf.unsortedSegmentSum(x, tf.tensor1d([0, -1, 0], 'int32'), 2);
    expect(dropped.arraySync()).toEqual([[6, 8], [0, 0]]);
    expect(() => tf.unsortedSegmentSum(x, tf.tensor1d([0, 2, 1], 'int32'), 2)).toThrow(/out of range/);
  });

  it('keeps int32 values int32', () => {
    const out = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 3);
    expect(out.dtype).toBe('int32');
    expect(out.arraySync()).toEqual([3, 3, 0]);
  });
});
