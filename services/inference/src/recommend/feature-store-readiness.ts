import type { ReadinessProbe } from '@storeloop/observability';
import { nonGatingProbe } from '@storeloop/platform';

/**
 * Readiness of an instance while Redis is away. The platform's Redis probe
 * fails readiness when Redis does not answer PING; inference replaces it with
 * this one, which reports Redis's state but keeps the instance in rotation as
 * long as it can answer degraded (a catalogue snapshot loaded for every
 * tenant: popularity and neighbours in memory). Taking every replica out of
 * the load balancer would turn a Redis outage into a total one. Before the
 * first catalogue is loaded there is nothing to degrade to, and Redis gates.
 */
export function featureStoreReadinessProbe(redisProbe: ReadinessProbe, canServeDegraded: () => boolean, timeoutMs: number): ReadinessProbe {
  return nonGatingProbe(redisProbe, timeoutMs, (error) => {
    if (!canServeDegraded()) throw new Error(`${error}; no catalogue loaded yet to answer degraded from`);
    return { reachable: false, error, degraded: true };
  });
}

/** Swaps the platform's `redis` probe for the one above, in place (the health controller holds the same array). */
export function relaxRedisReadiness(probes: ReadinessProbe[], canServeDegraded: () => boolean, timeoutMs: number): void {
  const index = probes.findIndex((probe) => probe.name === 'redis');
  if (index >= 0) probes[index] = featureStoreReadinessProbe(probes[index], canServeDegraded, timeoutMs);
}
