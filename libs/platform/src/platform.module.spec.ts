import { ConfigError } from '@storeloop/observability';
import { informationalProbe, loadPlatformConfig } from './platform.module';

describe('loadPlatformConfig', () => {
  it('returns http, kafka and redis settings with their defaults', () => {
    const config = loadPlatformConfig({});
    expect(Object.keys(config).sort()).toEqual(['http', 'kafka', 'redis']);
    expect(config.http).toMatchObject({ HOST: '0.0.0.0', PORT: 3000, LOG_LEVEL: 'info' });
    expect(config.kafka).toMatchObject({ KAFKA_BROKERS: ['127.0.0.1:9092'], KAFKA_SSL: false, KAFKA_TOPIC_PREFIX: '' });
    expect(config.redis).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379/0', REDIS_KEY_PREFIX: 'sl:' });
  });

  it('reads each group from the same environment', () => {
    const config = loadPlatformConfig({
      PORT: '8081',
      KAFKA_BROKERS: 'k-0:9092,k-1:9092',
      KAFKA_TOPIC_PREFIX: 'ci.',
      REDIS_URL: 'rediss://cache:6380/1',
    });
    expect(config.http.PORT).toBe(8081);
    expect(config.kafka.KAFKA_BROKERS).toEqual(['k-0:9092', 'k-1:9092']);
    expect(config.kafka.KAFKA_TOPIC_PREFIX).toBe('ci.');
    expect(config.redis.REDIS_URL).toBe('rediss://cache:6380/1');
  });

  it('reports the bad variables of http, kafka and redis in one error', () => {
    let error: unknown;
    try {
      loadPlatformConfig({
        PORT: '99999',
        KAFKA_BROKERS: 'no-port',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'svc',
        REDIS_URL: 'http://cache:6379',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(':')[0]).sort();
    expect(names).toEqual(['KAFKA_BROKERS', 'KAFKA_SASL_PASSWORD', 'PORT', 'REDIS_URL']);
  });
});

describe('informationalProbe', () => {
  it('reports a failing dependency without failing readiness', async () => {
    const failing = informationalProbe({ name: 'kafka', check: async () => Promise.reject(new Error('connection refused')) }, 1000);
    await expect(failing.check()).resolves.toEqual({ reachable: false, error: 'connection refused', gatesReadiness: false });
    const fine = informationalProbe({ name: 'kafka', check: async () => ({ brokers: 1 }) }, 1000);
    const hanging = informationalProbe({ name: 'kafka', check: () => new Promise(() => undefined) }, 20);
    await expect(hanging.check()).resolves.toEqual({ reachable: false, error: 'no answer within 20 ms', gatesReadiness: false });
    await expect(fine.check()).resolves.toEqual({ brokers: 1, gatesReadiness: false });
    expect(fine.name).toBe('kafka');
  });
});
