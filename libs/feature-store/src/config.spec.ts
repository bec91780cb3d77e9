import { ConfigError } from '@storeloop/observability';
import { loadRedisSettings, redisDatabase, redisTlsEnabled } from './config';

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadRedisSettings(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadRedisSettings', () => {
  it('defaults to a local single node with the sl: key prefix', () => {
    expect(loadRedisSettings({})).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      REDIS_TLS: false,
      REDIS_KEY_PREFIX: 'sl:',
      REDIS_CONNECT_TIMEOUT_MS: 5000,
      REDIS_COMMAND_TIMEOUT_MS: 5000,
    });
  });

  it.each(['redis://cache:6379', 'rediss://user:pass@cache.internal:6380/2'])('accepts %p', (url) => {
    expect(loadRedisSettings({ REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  it.each(['http://cache:6379', 'cache:6379', 'not a url'])('rejects REDIS_URL %p', (url) => {
    const problems = problemsOf({ REDIS_URL: url });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL: expected redis:\/\//);
  });

  it('reads cluster nodes as a host:port list', () => {
    expect(loadRedisSettings({ REDIS_CLUSTER_NODES: 'r-0:7000, r-1:7001,,10.0.0.9:7002' }).REDIS_CLUSTER_NODES).toEqual([
      'r-0:7000',
      'r-1:7001',
      '10.0.0.9:7002',
    ]);
  });

  it('names each cluster node that is not host:port', () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'r-0:7000,r-1,r-2:port' })).toEqual([
      'REDIS_CLUSTER_NODES: "r-1" is not host:port (got "r-0:7000,r-1,r-2:port")',
      'REDIS_CLUSTER_NODES: "r-2:port" is not host:port (got "r-0:7000,r-1,r-2:port")',
    ]);
  });

  it('restricts the key prefix to safe characters', () => {
    expect(loadRedisSettings({ REDIS_KEY_PREFIX: 'storeloop:ci-42.run_1:' }).REDIS_KEY_PREFIX).toBe('storeloop:ci-42.run_1:');
    expect(problemsOf({ REDIS_KEY_PREFIX: 'sl {x}' })).toEqual([
      expect.stringMatching(/^REDIS_KEY_PREFIX: only letters, digits, ":", "_", "\." and "-"/),
    ]);
  });

  it('takes a CA file only with TLS on (REDIS_TLS or a rediss:// URL), rather than connecting in plaintext', () => {
    expect(problemsOf({ REDIS_TLS_CA_FILE: '/etc/redis/ca.pem' })).toEqual([
      'REDIS_TLS_CA_FILE: set, but TLS is off: set REDIS_TLS=true or use a rediss:// REDIS_URL (got "/etc/redis/ca.pem")',
    ]);
    expect(loadRedisSettings({ REDIS_TLS: 'true', REDIS_TLS_CA_FILE: '/etc/redis/ca.pem' }).REDIS_TLS_CA_FILE).toBe('/etc/redis/ca.pem');
    expect(loadRedisSettings({ REDIS_URL: 'rediss://cache:6380/0', REDIS_TLS_CA_FILE: '/etc/redis/ca.pem' }).REDIS_TLS_CA_FILE).toBe('/etc/redis/ca.pem');
  });

  it('never shows the password in a problem', () => {
    const problems = problemsOf({ REDIS_PASSWORD: 'hunter2', REDIS_COMMAND_TIMEOUT_MS: '1' });
    expect(problems).toEqual([expect.stringMatching(/^REDIS_COMMAND_TIMEOUT_MS: /)]);
    expect(problems.join()).not.toContain('hunter2');
  });
});

describe('redisDatabase', () => {
  it('reads the database index from the URL path', () => {
    expect(redisDatabase(loadRedisSettings({ REDIS_URL: 'redis://cache:6379/5' }))).toBe(5);
    expect(redisDatabase(loadRedisSettings({}))).toBe(0);
  });

  it('is 0 when the URL names no database', () => {
    expect(redisDatabase(loadRedisSettings({ REDIS_URL: 'redis://cache:6379' }))).toBe(0);
    expect(redisDatabase(loadRedisSettings({ REDIS_URL: 'redis://cache:6379/' }))).toBe(0);
  });

  it('is 0 in cluster mode, whatever the URL says', () => {
    expect(redisDatabase(loadRedisSettings({ REDIS_URL: 'redis://cache:6379/5', REDIS_CLUSTER_NODES: 'r-0:7000' }))).toBe(0);
  });
});

describe('REDIS_URL database path', () => {
  it('rejects a path that is not a database number', () => {
    expect(() => loadRedisSettings({ REDIS_URL: 'redis://cache:6379/abc' })).toThrow(/REDIS_URL: the path must be a database number/);
  });

  it('hides the password of a bad URL in the error', () => {
    expect(() => loadRedisSettings({ REDIS_URL: 'redis://app:s3cret@cache:6379/abc' })).toThrow(/redis:\/\/app:\[redacted\]@cache/);
    expect(() => loadRedisSettings({ REDIS_URL: 'redis://app:s3cret@cache:6379/abc' })).not.toThrow(/s3cret/);
  });
});

describe('redisTlsEnabled', () => {
  it('is on with REDIS_TLS or a rediss:// single-node URL', () => {
    expect(redisTlsEnabled(loadRedisSettings({}))).toBe(false);
    expect(redisTlsEnabled(loadRedisSettings({ REDIS_TLS: 'true' }))).toBe(true);
    expect(redisTlsEnabled(loadRedisSettings({ REDIS_URL: 'rediss://cache:6380' }))).toBe(true);
    // Cluster nodes are host:port: only REDIS_TLS turns TLS on there.
    expect(redisTlsEnabled(loadRedisSettings({ REDIS_URL: 'rediss://cache:6380', REDIS_CLUSTER_NODES: 'r-0:7000' }))).toBe(false);
  });
});
