import { createLogger } from '@storeloop/observability';
import { Registry } from 'prom-client';
import { FeatureStoreGate } from '../recommend/feature-store-gate';
import { BoundedRateLimiter } from './bounded-rate-limiter';

function limiter(redis: { status: string; eval: jest.Mock }) {
  const registry = new Registry();
  const gate = new FeatureStoreGate(redis as never, { deadlineMs: 20, retryMs: 60_000 });
  const limiter = new BoundedRateLimiter(redis as never, createLogger('test', 'fatal'), registry, gate);
  const failOpen = async () => (await registry.getSingleMetricAsString('rate_limiter_fail_open_total')).match(/ (\d+)$/m)?.[1];
  return { limiter, gate, failOpen };
}

describe('BoundedRateLimiter (the API key guard while Redis is away)', () => {
  it('asks Redis while it answers, and enforces the limit', async () => {
    const redis = { status: 'ready', eval: jest.fn(async () => [0, 1500]) };
    await expect(limiter(redis).limiter.take('k', 10, 10)).resolves.toEqual({ allowed: false, retryAfterMs: 1500 });
  });

  it('lets requests through at once while the connection is down, without queueing a command', async () => {
    const redis = { status: 'reconnecting', eval: jest.fn() };
    const { limiter: l, failOpen } = limiter(redis);
    await expect(l.take('k', 10, 10)).resolves.toEqual({ allowed: true, retryAfterMs: 0 });
    expect(redis.eval).not.toHaveBeenCalled();
    expect(await failOpen()).toBe('1');
  });

  it('gives up on a silent Redis after the deadline, lets the request through and closes the gate for the answer', async () => {
    const redis = { status: 'ready', eval: jest.fn(() => new Promise(() => undefined)) };
    const { limiter: l, gate } = limiter(redis);
    const started = Date.now();
    await expect(l.take('k', 10, 10)).resolves.toEqual({ allowed: true, retryAfterMs: 0 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(gate.available).toBe(false);
  });
});
