import { EventEmitter } from 'node:events';
import { createLogger } from '@storeloop/observability';
import { loadRedisSettings } from './config';
import type { RedisClient } from './client';
import { RedisLifecycle } from './redis.module';

/** A client whose connect() fails as ioredis' does: an 'error' event, then "Connection is closed.". */
function fakeRedis(behaviour: 'ready' | 'closed' | 'hang', error?: Error) {
  const emitter = new EventEmitter();
  const client = Object.assign(emitter, {
    disconnect: jest.fn(),
    connect: jest.fn(async () => {
      if (behaviour === 'ready') return;
      if (behaviour === 'hang') return new Promise<void>(() => undefined);
      if (error) emitter.emit('error', error);
      throw new Error('Connection is closed.');
    }),
  });
  return client;
}

describe('RedisLifecycle start', () => {
  const settings = loadRedisSettings({ REDIS_USERNAME: 'storeloop', REDIS_CONNECT_TIMEOUT_MS: '100' });
  const logger = createLogger('test', 'silent');
  const lifecycle = (redis: ReturnType<typeof fakeRedis>) => new RedisLifecycle(redis as unknown as RedisClient, logger, settings);

  it('starts once connected', async () => {
    await expect(lifecycle(fakeRedis('ready')).onModuleInit()).resolves.toBeUndefined();
  });

  it('starts without a reachable Redis (readiness reports it; the client keeps reconnecting)', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const redis = fakeRedis('closed', refused);
    await expect(lifecycle(redis).onModuleInit()).resolves.toBeUndefined();
    expect(redis.disconnect).not.toHaveBeenCalled();
  });

  it('does not wait for a silent Redis longer than about the connect timeout', async () => {
    const started = Date.now();
    await expect(lifecycle(fakeRedis('hang')).onModuleInit()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses to start on wrong credentials with REDIS.AUTH_FAILED, and stops reconnecting', async () => {
    const wrongpass = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
      command: { name: 'auth', args: ['storeloop', 'hunter2'] },
    });
    const redis = fakeRedis('closed', wrongpass);
    await expect(lifecycle(redis).onModuleInit()).rejects.toMatchObject({
      code: 'REDIS.AUTH_FAILED',
      message: expect.stringContaining('Redis authentication failed for user storeloop'),
    });
    expect(redis.disconnect).toHaveBeenCalled();
    expect(wrongpass.command.args).toEqual(['[redacted]']);
  });

  it('refuses to start on an untrusted certificate with REDIS.TLS_FAILED', async () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    await expect(lifecycle(fakeRedis('closed', untrusted)).onModuleInit()).rejects.toMatchObject({ code: 'REDIS.TLS_FAILED' });
  });
});
