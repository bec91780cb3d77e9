import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ROOT_LOGGER, type Logger } from '@storeloop/observability';
import { createRedis, redactRedisError, redisStartupError, type RedisClient } from './client';
import type { RedisSettings } from './config';

export const REDIS = Symbol('REDIS');
export const REDIS_SETTINGS = Symbol('REDIS_SETTINGS');

const PENDING = Symbol('pending');

@Injectable()
export class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(REDIS_SETTINGS) private readonly settings: RedisSettings,
  ) {}

  async onModuleInit(): Promise<void> {
    // ioredis rejects connect() with a bare "Connection is closed."; the cause is the error emitted before it.
    let lastError: Error | undefined;
    this.redis.on('error', (error: Error) => {
      lastError = redactRedisError(error);
      this.logger.warn({ err: error, component: 'redis' }, 'redis connection error');
    });
    // An unreachable Redis does not block start: readiness reports the outage and
    // ioredis keeps reconnecting. Wrong credentials or an untrusted certificate
    // never heal by retrying, so the first attempt's answer (waited for at most
    // about the connect timeout) refuses the start with REDIS.AUTH_FAILED / REDIS.TLS_FAILED.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.redis.connect().then(
        () => undefined,
        (error: unknown) => error ?? new Error('redis connect failed'),
      ),
      new Promise<typeof PENDING>((resolve) => {
        timer = setTimeout(() => resolve(PENDING), this.settings.REDIS_CONNECT_TIMEOUT_MS + 1000);
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome === undefined || outcome === PENDING) return;
    const fatal = redisStartupError(lastError ?? outcome, this.settings) ?? redisStartupError(outcome, this.settings);
    if (fatal) {
      this.redis.disconnect();
      throw fatal;
    }
    this.logger.warn({ err: outcome, component: 'redis' }, 'redis not reachable yet');
  }

  async onApplicationShutdown(): Promise<void> {
    // QUIT lets pending replies arrive; disconnect is the fallback when Redis is gone.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Global Redis wiring for a service: one client (single node or cluster) connected at start. */
@Module({})
export class RedisModule {
  static forRoot(options: { settings: RedisSettings; connectionName: string }): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        { provide: REDIS_SETTINGS, useValue: options.settings },
        { provide: REDIS, useFactory: () => createRedis(options.settings, options.connectionName) },
        RedisLifecycle,
      ],
      exports: [REDIS, REDIS_SETTINGS],
    };
  }
}
