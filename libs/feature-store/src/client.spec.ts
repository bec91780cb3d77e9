import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { loadRedisSettings } from './config';
import { createRedis, redactRedisError, redisReadinessProbe, redisStartupError, type RedisClient } from './client';

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

  it('trusts the CA of REDIS_TLS_CA_FILE, and a rediss:// URL turns TLS on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeloop-redis-ca-'));
    try {
      const file = join(dir, 'ca.pem');
      const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      writeFileSync(file, pem);
      const viaUrl = create({ REDIS_URL: 'rediss://cache.invalid:6390/0', REDIS_TLS_CA_FILE: file }) as Redis;
      expect(viaUrl.options.tls).toEqual({ ca: [pem] });
      const viaFlag = create({ REDIS_URL: 'redis://cache.invalid:6390/0', REDIS_TLS: 'true', REDIS_TLS_CA_FILE: file }) as Redis;
      expect(viaFlag.options.tls).toEqual({ ca: [pem] });
      expect((create({ REDIS_URL: 'rediss://cache.invalid:6390/0' }) as Redis).options.tls).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets REDIS_USERNAME and REDIS_PASSWORD override the credentials of the URL', () => {
    const fromUrl = create({ REDIS_URL: 'redis://app:from-url@cache.invalid:6390/0' }) as Redis;
    expect(fromUrl.options).toMatchObject({ username: 'app', password: 'from-url' });
    const overridden = create({ REDIS_URL: 'redis://app:from-url@cache.invalid:6390/2', REDIS_USERNAME: 'storeloop', REDIS_PASSWORD: 'from-env' }) as Redis;
    expect(overridden.options).toMatchObject({ host: 'cache.invalid', port: 6390, db: 2, username: 'storeloop', password: 'from-env' });
    const passwordOnly = create({ REDIS_URL: 'redis://app:from-url@cache.invalid:6390', REDIS_PASSWORD: 'from-env' }) as Redis;
    expect(passwordOnly.options).toMatchObject({ username: 'app', password: 'from-env' });
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

describe('redisStartupError', () => {
  const settings = loadRedisSettings({ REDIS_URL: 'rediss://cache.invalid:6390/0', REDIS_USERNAME: 'storeloop', REDIS_PASSWORD: 'hunter2' });
  const replyError = (message: string, args: string[]) => Object.assign(new Error(message), { name: 'ReplyError', command: { name: 'auth', args } });

  it('turns WRONGPASS and NOAUTH into REDIS.AUTH_FAILED naming the user, never the password', () => {
    const wrongpass = replyError('WRONGPASS invalid username-password pair or user is disabled.', ['storeloop', 'hunter3']);
    const error = redisStartupError(wrongpass, settings);
    expect(error).toMatchObject({ code: 'REDIS.AUTH_FAILED', retriable: false });
    expect(error?.message).toBe(
      'Redis authentication failed for user storeloop at cache.invalid:6390 (WRONGPASS): check REDIS_USERNAME and REDIS_PASSWORD (or the credentials in REDIS_URL)',
    );
    // The ReplyError carried the password tried; it is blanked before anything logs it.
    expect(JSON.stringify(wrongpass)).not.toContain('hunter3');
    expect(redisStartupError(new Error('NOAUTH Authentication required.'), loadRedisSettings({}))?.message).toMatch(
      /^Redis authentication failed for user default at 127\.0\.0\.1:6379 \(NOAUTH\)/,
    );
  });

  it('turns an untrusted or misnamed server certificate into REDIS.TLS_FAILED', () => {
    for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']) {
      const error = redisStartupError(Object.assign(new Error('certificate problem'), { code }), settings);
      expect(error).toMatchObject({ code: 'REDIS.TLS_FAILED' });
      expect(error?.message).toContain(`(${code}: certificate problem): check REDIS_TLS_CA_FILE`);
    }
  });

  it('leaves failures that retrying can fix alone', () => {
    expect(redisStartupError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }), settings)).toBeUndefined();
    expect(redisStartupError(new Error('Connection is closed.'), settings)).toBeUndefined();
  });
});

describe('redactRedisError', () => {
  it('blanks the arguments of AUTH and HELLO only', () => {
    const auth = redactRedisError({ command: { name: 'auth', args: ['storeloop', 'hunter2'] } });
    expect(auth.command.args).toEqual(['[redacted]']);
    const hello = redactRedisError({ command: { name: 'HELLO', args: ['3', 'AUTH', 'u', 'hunter2'] } });
    expect(hello.command.args).toEqual(['[redacted]']);
    const get = redactRedisError({ command: { name: 'get', args: ['sl:key'] } });
    expect(get.command.args).toEqual(['sl:key']);
    expect(redactRedisError(undefined)).toBeUndefined();
  });
});
