import { Cluster, Redis } from 'ioredis';
import { loadRedisSettings } from './config';
import { createRedis, redisReadinessProbe, type RedisClient } from './client';

describe('createRedis', () => {
  const clients: RedisClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  function create(source: Record<string, string>): RedisClient {
    const client = createRedis(loadRedisSettings(source), 'storeloop-test');
    clients.push(client);
    return client;
  }

  it('builds a single-node client with the key prefix, without connecting', () => {
    const client = create({ REDIS_URL: 'redis://cache.invalid:6390/3', REDIS_KEY_PREFIX: 'ci:' });
    expect(client).toBeInstanceOf(Redis);
    expect(client.status).toBe('wait');
    const redis = client as Redis;
    expect(redis.options).toMatchObject({
      host: 'cache.invalid',
      port: 6390,
      db: 3,
      keyPrefix: 'ci:',
      connectionName: 'storeloop-test',
      lazyConnect: true,
      connectTimeout: 5000,
      commandTimeout: 5000,
    });
  });

  it('passes credentials and TLS only when configured', () => {
    const plain = create({}) as Redis;
    expect(plain.options.username).toBeFalsy();
    expect(plain.options.password).toBeFalsy();
    expect(plain.options.tls).toBeUndefined();
    const secure = create({ REDIS_USERNAME: 'features', REDIS_PASSWORD: 's3cret', REDIS_TLS: 'true' }) as Redis;
    expect(secure.options).toMatchObject({ username: 'features', password: 's3cret', tls: {} });
  });

  it('reconnects with a capped backoff', () => {
    const { retryStrategy } = (create({}) as Redis).options;
    expect([1, 2, 3, 10, 100].map((attempt) => retryStrategy?.(attempt))).toEqual([200, 400, 800, 2000, 2000]);
  });

  it('builds a cluster client from REDIS_CLUSTER_NODES, without connecting', () => {
    const client = create({ REDIS_CLUSTER_NODES: 'r-0.invalid:7000,r-1.invalid:7001', REDIS_KEY_PREFIX: 'ci:' });
    expect(client).toBeInstanceOf(Cluster);
    expect(client.status).toBe('wait');
    const cluster = client as Cluster;
    expect(cluster.options).toMatchObject({ keyPrefix: 'ci:', lazyConnect: true });
    expect(cluster.options.redisOptions).toMatchObject({ keyPrefix: 'ci:', connectionName: 'storeloop-test' });
    // ioredis keeps the seed nodes in a private field
    expect((cluster as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: 'r-0.invalid', port: 7000 },
      { host: 'r-1.invalid', port: 7001 },
    ]);
  });
});

describe('redisReadinessProbe', () => {
  function fakeRedis(status: string, ping = jest.fn(async () => 'PONG')) {
    return { redis: { status, ping } as unknown as RedisClient, ping };
  }

  it('is named redis', () => {
    expect(redisReadinessProbe(fakeRedis('ready').redis).name).toBe('redis');
  });

  it.each(['wait', 'connecting', 'reconnecting', 'end'])('fails without pinging while the connection is %s', async (status) => {
    const { redis, ping } = fakeRedis(status);
    await expect(redisReadinessProbe(redis).check()).rejects.toThrow(`redis connection is ${status}`);
    expect(ping).not.toHaveBeenCalled();
  });

  it('pings a ready connection and reports the latency', async () => {
    const { redis, ping } = fakeRedis('ready');
    const details = await redisReadinessProbe(redis).check();
    expect(ping).toHaveBeenCalledTimes(1);
    expect(details).toEqual({ pingMs: expect.any(Number) });
    expect((details as { pingMs: number }).pingMs).toBeGreaterThanOrEqual(0);
  });

  it('fails when PING fails', async () => {
    const { redis } = fakeRedis('ready', jest.fn(async () => Promise.reject(new Error('LOADING Redis is loading'))));
    await expect(redisReadinessProbe(redis).check()).rejects.toThrow('LOADING');
  });
});
