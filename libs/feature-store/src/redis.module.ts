import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ROOT_LOGGER, type Logger } from '@storeloop/observability';
import { createRedis, type RedisClient } from './client';
import type { RedisSettings } from './config';

export const REDIS = Symbol('REDIS');
export const REDIS_SETTINGS = Symbol('REDIS_SETTINGS');

@Injectable()
export class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.redis.on('error', (error: Error) => this.logger.warn({ err: error, component: 'redis' }, 'redis connection error'));
    // Do not block start on Redis: readiness reports the outage and ioredis keeps reconnecting.
    this.redis.connect().catch((error: unknown) => this.logger.warn({ err: error, component: 'redis' }, 'redis not reachable yet'));
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
