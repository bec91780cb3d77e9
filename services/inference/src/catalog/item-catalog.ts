import { itemFeatureVector, readItemViews, type ItemFeatureView, type RedisClient } from '@storeloop/feature-store';
import type { Logger } from '@storeloop/observability';
import type { Cluster, Redis } from 'ioredis';

/** How much each kind of recent activity counts towards "popular" (decayed counts, the feature store's popularity half-life). */
export const POPULARITY_WEIGHTS = { view: 1, cart: 3, favorite: 2, click: 2, order: 5 } as const;

export interface CatalogItem {
  sku: string;
  view: ItemFeatureView;
  /** itemFeatureVector(view): the `i.` inputs of the scorer. */
  features: Record<string, number>;
  /** Full category path joined by " > "; null without a catalogue entry. */
  category: string | null;
  /** Every prefix of the path ("a", "a > b", ...), for category filters and popularity lists. */
  categoryPrefixes: string[];
  popularity: number;
}

export interface CatalogSnapshot {
  tenant: string;
  /** Increases with every refresh; caches keyed on it (scorer item rows) know when to rebuild. */
  generation: number;
  refreshedAt: string;
  items: Map<string, CatalogItem>;
  /** Active items by popularity, most popular first. */
  popular: CatalogItem[];
  /** The same, per category prefix. */
  popularByCategory: Map<string, CatalogItem[]>;
}

const POPULAR_PER_CATEGORY = 200;
const READ_CHUNK = 500;

export const categoryLabel = (path: readonly string[]) => path.join(' > ');

export function popularityOf(view: ItemFeatureView): number {
  let score = 0;
  for (const [activity, weight] of Object.entries(POPULARITY_WEIGHTS)) score += weight * (view.popularity[activity as keyof typeof POPULARITY_WEIGHTS] ?? 0);
  return score;
}

/** Undoes feature-store `keyPart` (percent-encoded `%`, `{`, `}`). */
export function decodeKeyPart(part: string): string {
  return part.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/** Builds a snapshot from item views (pure: unit-tested without Redis). */
export function buildSnapshot(tenant: string, views: readonly ItemFeatureView[], generation: number, now = new Date()): CatalogSnapshot {
  const items = new Map<string, CatalogItem>();
  for (const view of views) {
    if (!view.known) continue;
    const path = view.categoryPath ?? [];
    const categoryPrefixes = path.map((_, depth) => categoryLabel(path.slice(0, depth + 1)));
    items.set(view.sku, {
      sku: view.sku,
      view,
      features: itemFeatureVector(view),
      category: path.length ? categoryLabel(path) : null,
      categoryPrefixes,
      popularity: popularityOf(view),
    });
  }
  const popular = [...items.values()].filter((item) => item.view.active !== false).sort((a, b) => b.popularity - a.popularity || (a.sku < b.sku ? -1 : 1));
  const popularByCategory = new Map<string, CatalogItem[]>();
  for (const item of popular) {
    for (const prefix of item.categoryPrefixes) {
      const list = popularByCategory.get(prefix) ?? [];
      if (list.length < POPULAR_PER_CATEGORY) list.push(item);
      popularByCategory.set(prefix, list);
    }
  }
  return { tenant, generation, refreshedAt: now.toISOString(), items, popular, popularByCategory };
}

export interface ItemCatalogOptions {
  redis: RedisClient;
  tenant: string;
  refreshMs: number;
  logger: Logger;
  onRefresh?: (snapshot: CatalogSnapshot, seconds: number) => void;
}

/**
 * The items of one tenant as the feature store holds them: features,
 * category, popularity, co-viewed and co-purchased neighbours, stock per
 * store. Requests read this snapshot instead of Redis (one round trip per
 * request is for the user alone); it is rebuilt every INFERENCE_CATALOG_REFRESH_MS
 * by scanning the item keys, so new items and popularity changes show up
 * within that. Stock at the requested store is checked against Redis at
 * answer time, not here.
 *
 * Memory: about 3 KB per item with its neighbour lists, so 300 MB at 100,000
 * items; the scan reads 4 keys per item in pipelines of 500 items.
 */
export class ItemCatalog {
  private current: CatalogSnapshot;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | null = null;
  private generation = 0;

  constructor(private readonly options: ItemCatalogOptions) {
    this.current = buildSnapshot(options.tenant, [], 0);
  }

  get snapshot(): CatalogSnapshot {
    return this.current;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch((error) => this.options.logger.error({ err: error, tenant: this.options.tenant }, 'catalogue refresh failed; the previous one serves')), this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Rebuilds the snapshot now (one at a time; a second caller joins the first). */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.load().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const started = process.hrtime.bigint();
    const skus = await this.scanSkus();
    const views: ItemFeatureView[] = [];
    const asOf = Date.now();
    for (let start = 0; start < skus.length; start += READ_CHUNK) {
      views.push(...(await readItemViews(this.options.redis, skus.slice(start, start + READ_CHUNK), { tenant: this.options.tenant, asOf })));
    }
    this.generation += 1;
    const snapshot = buildSnapshot(this.options.tenant, views, this.generation);
    this.current = snapshot;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.options.onRefresh?.(snapshot, seconds);
    this.options.logger.debug({ tenant: this.options.tenant, items: snapshot.items.size, seconds }, 'catalogue refreshed');
  }

  /** SKUs with an item hash: SCAN over `<prefix><tenant>:{i:*}` on every master, keeping the main keys only. */
  private async scanSkus(): Promise<string[]> {
    const { redis, tenant } = this.options;
    const prefix = redis.options.keyPrefix ?? ('redisOptions' in redis.options ? (redis.options.redisOptions?.keyPrefix ?? '') : '');
    const head = `${prefix}${tenant}:{i:`;
    const pattern = `${escapeGlob(head)}*}`;
    const nodes: Redis[] = 'nodes' in redis && typeof (redis as Cluster).nodes === 'function' && (redis as Cluster).isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
    const skus = new Set<string>();
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 2_000);
        cursor = next;
        for (const key of keys) {
          const body = key.slice(head.length, -1);
          // Sub-keys (`}:cv`, `}:st:<store>`, ...) end differently; a main key's body has no closing brace.
          if (key.startsWith(head) && key.endsWith('}') && !body.includes('}')) skus.add(decodeKeyPart(body));
        }
      } while (cursor !== '0');
    }
    return [...skus].sort();
  }
}
