import type { RedisClient } from '@storeloop/feature-store';
import { getOrCreateCounter, type Logger } from '@storeloop/observability';
import { RateLimiter, type RateDecision } from '@storeloop/platform';
import type { Counter, Registry } from 'prom-client';
import type { FeatureStoreGate } from '../recommend/feature-store-gate';

const ALLOW: RateDecision = { allowed: true, retryAfterMs: 0 };

/**
 * The platform's rate limiter (one Lua call on Redis per request, failing
 * open), with the feature store gate in front: while Redis is down or slow
 * the check is skipped at once, or abandoned after INFERENCE_REDIS_DEADLINE_MS,
 * and the request let through, instead of every request of the outage
 * waiting REDIS_COMMAND_TIMEOUT_MS in the guard before its degraded answer.
 * A late check also opens the gate, so the answer does not try Redis again.
 * Provided by the inference module under the platform's `RateLimiter` token,
 * so the API key guard of its controllers gets this one.
 */
export class BoundedRateLimiter extends RateLimiter {
  private readonly skipped: Counter;

  constructor(
    redis: RedisClient,
    logger: Logger,
    registry: Registry,
    private readonly gate: FeatureStoreGate,
  ) {
    super(redis, logger, registry);
    this.skipped = getOrCreateCounter(registry, {
      name: 'rate_limiter_fail_open_total',
      help: 'Requests let through because Redis could not be asked (rate limits fail open)',
    });
  }

  override async take(keyId: string, ratePerSec: number, burst: number): Promise<RateDecision> {
    try {
      return await this.gate.read(() => super.take(keyId, ratePerSec, burst));
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      this.skipped.inc();
      return ALLOW;
    }
  }
}
