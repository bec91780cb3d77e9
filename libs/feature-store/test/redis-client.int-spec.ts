import { Redis } from 'ioredis';
import { DisposableRedis, uniqueName, waitFor } from '@storeloop/testing';
import { createRedis, loadRedisSettings, redisDatabase, redisReadinessProbe, type RedisClient } from '../src';

describe('Redis client from configuration (real redis-server)', () => {
  const clients: RedisClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

  function client(env: Record<string, string>): RedisClient {
    const redis = createRedis(loadRedisSettings(env), 'feature-store-test');
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  }

  it('writes under the configured key prefix in the configured database', async () => {
    const prefix = `${uniqueName('test')}:`;
    const redis = client({ REDIS_URL: process.env.REDIS_URL!, REDIS_KEY_PREFIX: prefix });
    expect(redisDatabase(loadRedisSettings({ REDIS_URL: process.env.REDIS_URL! }))).toBe(15);
    await redis.connect();
    await redis.set('user:42', 'v');
    const raw = new Redis(process.env.REDIS_URL!);
    try {
      expect(await raw.get(`${prefix}user:42`)).toBe('v');
      expect(await raw.get('user:42')).toBeNull();
      await raw.del(`${prefix}user:42`);
    } finally {
      raw.disconnect();
    }
  });

  it('probe reports up, fails while Redis is gone, and recovers when it returns', async () => {
    const server = await DisposableRedis.create();
    await server.start();
    try {
      const redis = client({ REDIS_URL: server.url(), REDIS_COMMAND_TIMEOUT_MS: '500' });
      await redis.connect();
      const probe = redisReadinessProbe(redis);
      await expect(probe.check()).resolves.toMatchObject({ pingMs: expect.any(Number) });
      await server.stop();
      await waitFor(async () => probe.check().then(() => false, () => true), { timeoutMs: 10_000, description: 'probe to fail' });
      await server.start();
      await waitFor(async () => probe.check().then(() => true), { timeoutMs: 15_000, description: 'probe to recover' });
    } finally {
      await server.stop();
    }
  });
});
