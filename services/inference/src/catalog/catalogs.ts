import type { RedisClient } from '@storeloop/feature-store';
import type { Logger } from '@storeloop/observability';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { ItemCatalog, type CatalogSnapshot } from './item-catalog';

/** One item catalogue per served tenant (INFERENCE_TENANTS). */
export class Catalogs {
  private readonly catalogs = new Map<string, ItemCatalog>();

  constructor(options: { redis: RedisClient; tenants: readonly string[]; refreshMs: number; logger: Logger; registry: Registry }) {
    const items = new Gauge({ name: 'inference_catalog_items', help: 'Items in the serving catalogue, by tenant', labelNames: ['tenant'], registers: [options.registry] });
    const seconds = new Histogram({
      name: 'inference_catalog_refresh_seconds',
      help: 'Time to reload the item catalogue from Redis',
      labelNames: ['tenant'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers: [options.registry],
    });
    for (const tenant of options.tenants) {
      this.catalogs.set(
        tenant,
        new ItemCatalog({
          redis: options.redis,
          tenant,
          refreshMs: options.refreshMs,
          logger: options.logger,
          onRefresh: (snapshot, s) => {
            items.set({ tenant }, snapshot.items.size);
            seconds.observe({ tenant }, s);
          },
        }),
      );
    }
  }

  snapshot(tenant: string): CatalogSnapshot {
    const catalog = this.catalogs.get(tenant);
    if (!catalog) throw new Error(`tenant ${tenant} has no catalogue`);
    return catalog.snapshot;
  }

  async start(): Promise<void> {
    await Promise.all([...this.catalogs.values()].map((catalog) => catalog.start()));
  }

  /** Reloads every tenant now (admin endpoint, tests). */
  async refresh(): Promise<void> {
    await Promise.all([...this.catalogs.values()].map((catalog) => catalog.refresh()));
  }

  stop(): void {
    for (const catalog of this.catalogs.values()) catalog.stop();
  }

  /** Every tenant has a snapshot loaded from Redis at least once (what a degraded answer is built from). */
  loaded(): boolean {
    return [...this.catalogs.values()].every((catalog) => catalog.snapshot.generation > 0);
  }

  status() {
    return Object.fromEntries([...this.catalogs].map(([tenant, catalog]) => [tenant, { items: catalog.snapshot.items.size, refreshedAt: catalog.snapshot.refreshedAt }]));
  }
}
