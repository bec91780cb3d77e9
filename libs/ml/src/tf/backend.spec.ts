import * as tf from '@tensorflow/tfjs';
import { MlInputError } from '../errors';
import { initTfBackend, TfBackendUnavailableError } from './backend';

// One module instance for the whole file: the order of these tests is the
// order a service would meet these cases.
describe('initTfBackend', () => {
  it('rejects an unknown TRAINING_BACKEND with the accepted values', async () => {
    await expect(initTfBackend({ env: { TRAINING_BACKEND: 'tpu' } })).rejects.toThrow(MlInputError);
    await expect(initTfBackend({ env: { TRAINING_BACKEND: 'tpu' } })).rejects.toThrow(/gpu, tensorflow, wasm, cpu/);
  });

  it('fails clearly when an explicit native backend is not installed', async () => {
    let nodeInstalled = true;
    try {
      require.resolve('@tensorflow/tfjs-node-gpu');
    } catch {
      nodeInstalled = false;
    }
    if (nodeInstalled) return; // a machine with tfjs-node-gpu: nothing to prove here
    const error = await initTfBackend({ env: { TRAINING_BACKEND: 'gpu' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TfBackendUnavailableError);
    expect((error as Error).message).toMatch(/@tensorflow\/tfjs-node-gpu cannot be loaded/);
  });

  it('honours TRAINING_BACKEND, describes the backend and registers the fast kernel; idempotent', async () => {
    const lines: string[] = [];
    const description = await initTfBackend({ env: { TRAINING_BACKEND: 'cpu' }, logger: { info: (m) => lines.push(m) } });
    expect(description).toEqual({
      backend: 'cpu',
      accelerator: 'cpu',
      package: '@tensorflow/tfjs',
      version: tf.version_core,
      fastKernels: ['UnsortedSegmentSum'],
    });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines.join('\n')).toMatch(/tfjs backend cpu/);
    await expect(initTfBackend({ env: {} })).resolves.toBe(description);
    await expect(initTfBackend({ preferred: 'wasm' })).rejects.toThrow(/already initialised as 'cpu'/);
  });
});
