import {
  Inject,
  Injectable,
  Module,
  SetMetadata,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, ROOT_LOGGER, type Logger } from '@storeloop/observability';
import { REDIS, type RedisClient } from '@storeloop/feature-store';
import { HttpProblem } from '../http/problem';
import { ApiKeyStore, type ApiKeyRecord, type ApiScope, type SecuritySettings } from './api-keys';
import { RateLimiter } from './rate-limiter';

/** Metadata key of @RequireScope (read by the guard and by the route audit). */
export const REQUIRED_SCOPE = 'storeloop:required-scope';
export const SECURITY_SETTINGS = Symbol('SECURITY_SETTINGS');

/** Marks a controller or route as needing an API key with this scope. */
export const RequireScope = (scope: ApiScope) => SetMetadata(REQUIRED_SCOPE, scope);

export type AuthenticatedRequest = Request & { apiKey?: ApiKeyRecord };

function presentedKey(request: Request): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim() || undefined;
  return undefined;
}

/**
 * API key (X-Api-Key or Authorization: Bearer), scope, then the key's rate
 * limit: 401 AUTH.API_KEY_MISSING / AUTH.API_KEY_UNKNOWN, 403 AUTH.SCOPE_MISSING,
 * 429 RATE_LIMITED with Retry-After. Routes without @RequireScope are open
 * (health, metrics, docs): each service's route audit test (listRoutes)
 * fails on such a route unless it is on the service's public list.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyStore,
    private readonly limiter: RateLimiter,
    @Inject(SECURITY_SETTINGS) private readonly settings: SecuritySettings,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<ApiScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (!scope) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const secret = presentedKey(request);
    if (!secret) throw new HttpProblem(401, 'AUTH.API_KEY_MISSING', 'send an API key in X-Api-Key or Authorization: Bearer');
    const key = this.keys.lookup(secret);
    if (!key) throw new HttpProblem(401, 'AUTH.API_KEY_UNKNOWN', 'the API key is not known');
    if (!key.scopes.includes(scope)) {
      throw new HttpProblem(403, 'AUTH.SCOPE_MISSING', `the API key "${key.id}" lacks the "${scope}" scope`);
    }
    const decision = await this.limiter.take(
      key.id,
      key.ratePerSec ?? this.settings.RATE_LIMIT_PER_SEC,
      key.burst ?? this.settings.RATE_LIMIT_BURST,
    );
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(seconds));
      throw new HttpProblem(429, 'RATE_LIMITED', `over the rate limit of key "${key.id}"; retry after ${seconds} s`, {
        retryAfterMs: decision.retryAfterMs,
      });
    }
    request.apiKey = key;
    return true;
  }
}

/** API keys, rate limits and the guard, for services with client-facing endpoints. */
@Module({})
export class SecurityModule {
  static forRoot(settings: SecuritySettings): DynamicModule {
    return {
      module: SecurityModule,
      global: true,
      providers: [
        { provide: SECURITY_SETTINGS, useValue: settings },
        {
          provide: ApiKeyStore,
          inject: [ROOT_LOGGER],
          useFactory: (logger: Logger) =>
            new ApiKeyStore(settings, undefined, (error) => logger.error({ code: 'AUTH.KEY_FILE_INVALID' }, error.message)),
        },
        {
          provide: RateLimiter,
          inject: [REDIS, ROOT_LOGGER, METRICS_REGISTRY],
          useFactory: (redis: RedisClient, logger: Logger, registry: Registry) => new RateLimiter(redis, logger, registry),
        },
        ApiKeyGuard,
      ],
      exports: [ApiKeyGuard, ApiKeyStore, RateLimiter, SECURITY_SETTINGS],
    };
  }
}
