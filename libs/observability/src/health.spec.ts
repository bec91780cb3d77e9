import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from './health';

describe('withTimeout', () => {
  it('resolves with the value when the promise settles in time', async () => {
    await expect(withTimeout(Promise.resolve({ pingMs: 1 }), 20, 'redis')).resolves.toEqual({ pingMs: 1 });
  });

  it('passes through a rejection that comes before the timeout', async () => {
    await expect(withTimeout(Promise.reject(new Error('ECONNREFUSED')), 20, 'redis')).rejects.toThrow('ECONNREFUSED');
  });

  it('rejects naming the dependency when the promise is too slow', async () => {
    const started = Date.now();
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(never, 20, 'kafka')).rejects.toThrow('kafka timed out after 20 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('does not time out a promise that resolves just before the limit', async () => {
    await expect(withTimeout(sleep(5).then(() => 'ok'), 200, 'model-store')).resolves.toBe('ok');
  });

  it('clears its timer once settled, so it holds no process open', async () => {
    const clear = jest.spyOn(global, 'clearTimeout');
    await withTimeout(Promise.resolve(1), 10_000, 'redis');
    expect(clear).toHaveBeenCalled();
    clear.mockRestore();
  });
});
