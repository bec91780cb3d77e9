import type { Registry } from 'prom-client';
import { getOrCreateCounter, type Logger } from '@storeloop/observability';
import type { RedisClient } from '@storeloop/feature-store';

/**
 * GCRA (the generic cell rate algorithm) in one Lua call on one key, so the
 * limit holds across replicas and the check is a single round trip. Redis's
 * clock is the only clock, so replicas' clock skew does not matter.
 * Returns {allowed (1|0), retryAfterMs}.
 */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - tolerance
if allow_at > now then return {0, math.ceil(allow_at - now)} end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now) + 1000)
return {1, 0}
`;

export interface RateDecision {
  allowed: boolean;
  retryAfterMs: number;
}

export class RateLimiter {
  private readonly failOpen;

  constructor(
    private readonly redis: RedisClient,
    private readonly logger: Logger,
    registry?: Registry,
  ) {
    this.failOpen = registry
      ? getOrCreateCounter(registry, {
          name: 'rate_limiter_fail_open_total',
          help: 'Requests let through because Redis could not be asked (rate limits fail open)',
        })
      : undefined;
  }

  /** `ratePerSec` sustained, `burst` requests at once. Fails open when Redis is unreachable: availability first. */
  async take(keyId: string, ratePerSec: number, burst: number): Promise<RateDecision> {
    const interval = 1000 / ratePerSec;
    try {
      const [allowed, retryAfterMs] = (await this.redis.eval(GCRA, 1, `ratelimit:{${keyId}}`, interval, interval * burst)) as [number, number];
      return { allowed: allowed === 1, retryAfterMs };
    } catch (error) {
      this.failOpen?.inc();
      this.logger.warn({ err: error, keyId }, 'rate limiter unavailable; allowing the request');
      return { allowed: true, retryAfterMs: 0 };
    }
  }
}
