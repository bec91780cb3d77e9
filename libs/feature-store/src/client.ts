import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from './config';
import type { ReadinessProbe } from '@storeloop/observability';

export type RedisClient = Redis | Cluster;

/**
 * A single-node client from REDIS_URL, or a cluster client when
 * REDIS_CLUSTER_NODES is set. Reconnects with capped backoff forever: an outage
 * shows in readiness, and the service resumes by itself when Redis returns.
 */
export function createRedis(settings: RedisSettings, connectionName: string): RedisClient {
  const common: RedisOptions = {
    connectionName,
    keyPrefix: settings.REDIS_KEY_PREFIX,
    connectTimeout: settings.REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: settings.REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    lazyConnect: true,
    // Concurrent commands share round trips: many small reads and writes cost one network hop.
    enableAutoPipelining: true,
    // Redis 7.0 rejects CLIENT SETINFO; skipping it avoids an error and a pending timer per connection.
    disableClientInfo: true,
    ...(settings.REDIS_USERNAME ? { username: settings.REDIS_USERNAME } : {}),
    ...(settings.REDIS_PASSWORD ? { password: settings.REDIS_PASSWORD } : {}),
    ...(settings.REDIS_TLS ? { tls: {} } : {}),
  };
  if (settings.REDIS_CLUSTER_NODES?.length) {
    return new Cluster(
      settings.REDIS_CLUSTER_NODES.map((node) => {
        const [host, port] = node.split(':');
        return { host, port: Number(port) };
      }),
      { redisOptions: common, keyPrefix: settings.REDIS_KEY_PREFIX, lazyConnect: true, clusterRetryStrategy: common.retryStrategy },
    );
  }
  return new Redis(settings.REDIS_URL, common);
}

/** Readiness: Redis answers PING (the health controller bounds the wait). */
export function redisReadinessProbe(redis: RedisClient): ReadinessProbe {
  return {
    name: 'redis',
    async check() {
      if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
      const started = process.hrtime.bigint();
      await redis.ping();
      return { pingMs: Number(process.hrtime.bigint() - started) / 1e6 };
    },
  };
}
