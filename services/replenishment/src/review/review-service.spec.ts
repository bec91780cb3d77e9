import { Registry } from 'prom-client';
import type { RedisClient } from '@storeloop/feature-store';
import type { TopicNamer, TopicProducer } from '@storeloop/messaging';
import { createLogger } from '@storeloop/observability';
import { loadReplenishmentConfig } from '../config';
import { ReplenishmentMetrics } from '../metrics';
import type { PolicyRegistry } from '../policy/policy-registry';
import type { ReplenishmentStore, SkuStore } from '../store/replenishment-store';
import { ReviewService } from './review-service';

/** A store whose review lease is lost after `keptSlices` extensions; reading offsets or views past that fails the test. */
function storeLosingLeaseAfter(keptSlices: number) {
  const calls: string[] = [];
  let extensions = 0;
  const store = {
    tenant: 'default',
    acquireLease: async () => true,
    releaseLease: async () => {
      calls.push('release');
    },
    dropInactive: async () => 0,
    async *activePairs(): AsyncGenerator<SkuStore[]> {
      yield [{ sku: 'A', store: 'S1' }];
      yield [{ sku: 'B', store: 'S1' }];
    },
    extendLease: async () => {
      calls.push('extend');
      return extensions++ < keptSlices;
    },
    setLastReviewedPeriod: async () => {
      calls.push('last-period');
    },
  };
  return { store: store as unknown as ReplenishmentStore, calls };
}

describe('review run lease', () => {
  it('extends its lease before each slice and stops, without marking the period reviewed, once the lease is lost', async () => {
    const { store, calls } = storeLosingLeaseAfter(0);
    const metricsRegistry = new Registry();
    const failingRedis = new Proxy({}, { get: () => () => Promise.reject(new Error('no slice may be read after the lease is lost')) });
    const service = new ReviewService(
      failingRedis as unknown as RedisClient,
      loadReplenishmentConfig({}).replenishment,
      createLogger('test', 'silent'),
      store,
      {} as PolicyRegistry,
      {} as TopicProducer,
      new ReplenishmentMetrics(metricsRegistry),
      { physical: (name: string) => name } as unknown as TopicNamer,
    );
    const summary = await service.reviewAll(Date.parse('2024-05-02T06:00:00Z'));
    expect(summary).toMatchObject({ period: '2024-05-02', pairs: 0 });
    expect(calls).toEqual(['extend', 'release']);
    expect(await metricsRegistry.getSingleMetricAsString('replenishment_reviews_total')).toMatch(/outcome="lost"} 1/);
  });
});
