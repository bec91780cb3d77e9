import { readFileSync } from 'node:fs';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redisTlsEnabled, type RedisSettings } from './config';
import { StoreloopError, isTlsFailureCode, type ReadinessProbe } from '@storeloop/observability';

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
    ...credentials(settings),
    ...(redisTlsEnabled(settings) ? { tls: redisTlsOptions(settings) } : {}),
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
  return new Redis(urlWithoutCredentials(settings), common);
}

/** TLS options: the CA of REDIS_TLS_CA_FILE when set (else the system's), server name checked. */
function redisTlsOptions(settings: RedisSettings): NonNullable<RedisOptions['tls']> {
  return settings.REDIS_TLS_CA_FILE ? { ca: [readFileSync(settings.REDIS_TLS_CA_FILE, 'utf8')] } : {};
}

/**
 * The user and password: REDIS_USERNAME and REDIS_PASSWORD override those of a
 * single-node REDIS_URL, each on its own. ioredis would let the URL's win, so
 * they are taken out of the URL (see `urlWithoutCredentials`) and passed as options.
 */
function credentials(settings: RedisSettings): Pick<RedisOptions, 'username' | 'password'> {
  const url = settings.REDIS_CLUSTER_NODES?.length ? undefined : new URL(settings.REDIS_URL);
  const username = settings.REDIS_USERNAME || decodeURIComponent(url?.username ?? '');
  const password = settings.REDIS_PASSWORD || decodeURIComponent(url?.password ?? '');
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function urlWithoutCredentials(settings: RedisSettings): string {
  const url = new URL(settings.REDIS_URL);
  if (!url.username && !url.password) return settings.REDIS_URL;
  url.username = '';
  url.password = '';
  return url.toString();
}

/**
 * ioredis puts the failed command on its ReplyError, so a refused AUTH carries
 * the password tried in `command.args`; blank those before the error is logged
 * or wrapped. Returns the same error.
 */
export function redactRedisError<E>(error: E): E {
  const command = error && typeof error === 'object' ? (error as { command?: { name?: unknown; args?: unknown } }).command : undefined;
  if (command && typeof command.name === 'string' && ['auth', 'hello', 'migrate'].includes(command.name.toLowerCase())) {
    command.args = ['[redacted]'];
  }
  return error;
}

/**
 * A Redis connection failure that retrying cannot fix, as the error the
 * service refuses to start with: REDIS.AUTH_FAILED (WRONGPASS, NOAUTH: wrong
 * user or password, or an ACL user that is off) or REDIS.TLS_FAILED (the
 * server's certificate is not trusted). Names the user, never the password.
 * Undefined for anything else (Redis down, timeouts): those stay retriable.
 */
export function redisStartupError(error: unknown, settings: RedisSettings): StoreloopError | undefined {
  redactRedisError(error);
  const message = error instanceof Error ? error.message : String(error);
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  const target = settings.REDIS_CLUSTER_NODES?.length ? settings.REDIS_CLUSTER_NODES.join(',') : redisEndpoint(settings.REDIS_URL);
  if (/^(WRONGPASS|NOAUTH)\b/.test(message)) {
    const user = settings.REDIS_USERNAME || decodeURIComponent(safeUrl(settings.REDIS_URL)?.username ?? '') || 'default';
    return new StoreloopError(
      'REDIS.AUTH_FAILED',
      `Redis authentication failed for user ${user} at ${target} (${message.split(' ')[0]}): check REDIS_USERNAME and REDIS_PASSWORD (or the credentials in REDIS_URL)`,
      { cause: error, retriable: false },
    );
  }
  if (isTlsFailureCode(code)) {
    return new StoreloopError(
      'REDIS.TLS_FAILED',
      `TLS to Redis at ${target} failed (${code}: ${message}): check REDIS_TLS_CA_FILE and the server certificate`,
      { cause: error, retriable: false },
    );
  }
  return undefined;
}

function safeUrl(url: string): URL | undefined {
  return URL.canParse(url) ? new URL(url) : undefined;
}

function redisEndpoint(url: string): string {
  const parsed = safeUrl(url);
  return parsed ? `${parsed.hostname}:${parsed.port || '6379'}` : 'REDIS_URL';
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
