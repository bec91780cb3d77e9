import { createHash } from 'node:crypto';
import { keyPart, type RedisClient } from '@storeloop/feature-store';
import type { ReplenishmentOrder } from '@storeloop/contracts';
import type { Decision } from '../review/decision';
import type { PlacedOrder } from '../review/inventory-state';
import { periodBefore } from '../review/schedule';

const DAY_MS = 86_400_000;

export interface SkuStore {
  sku: string;
  store: string;
}

/** The order of one SKU x store and period as Redis keeps it: claimed before it is produced, marked once Kafka acknowledged it. */
export interface OrderRecord {
  state: 'pending' | 'published';
  order: ReplenishmentOrder;
  /** When the claim was made (ms): a pending claim older than the produce timeout was cut off by a crash. */
  claimedAtMs: number;
  /** Set when the claimer's produce failed: the next review takes the claim over at once. */
  released?: boolean;
  publishedAt?: string;
}

/** Outcome of claiming a period's order. */
export type OrderClaim =
  /** This caller holds the claim and must produce `record.order`. */
  | { kind: 'claimed'; record: OrderRecord }
  /** The period's order is already on the topic. */
  | { kind: 'published'; record: OrderRecord }
  /** Another worker is producing it right now. */
  | { kind: 'in-progress'; record: OrderRecord };

/** Deterministic order id: the same SKU, store and period always give the same id, so consumers can drop a repeat. */
export function orderIdOf(tenant: string, sku: string, store: string, period: string): string {
  return `ro-${createHash('sha256').update(JSON.stringify([tenant, sku, store, period]), 'utf8').digest('hex').slice(0, 32)}`;
}

/** Takes over a pending claim released or older than ARGV[2] ms (its claimer died); answers the record and whether we hold it. */
const CLAIM_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
  return {1, ARGV[1]}
end
local record = cjson.decode(current)
if record.state == 'pending' and (record.released or tonumber(ARGV[3]) - record.claimedAtMs > tonumber(ARGV[2])) then
  record.claimedAtMs = tonumber(ARGV[3])
  record.released = nil
  local updated = cjson.encode(record)
  redis.call('SET', KEYS[1], updated, 'KEEPTTL')
  return {1, updated}
end
return {0, current}`;

/** HSET field to ARGV[2] unless it holds a larger number already; refreshes the TTL. */
const RAISE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or tonumber(current) < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * The service's own state in Redis, beside the feature store (same client and
 * key prefix, under `repl:<tenant>:`):
 *
 *   repl:<tenant>:{active}                         sorted set: JSON [sku, store] -> newest event time (ms)
 *   repl:<tenant>:{p:<sku>:<store>}:seen           hash: partition of retail.events.v1 -> last offset seen for the pair
 *   repl:<tenant>:{p:<sku>:<store>}:latest         the latest decision (JSON)
 *   repl:<tenant>:{p:<sku>:<store>}:o:<period>     the period's order record (JSON), kept REPLENISHMENT_ORDER_RETENTION_DAYS
 *   repl:<tenant>:{review}:last-period             the period of the last complete review run
 *   repl:<tenant>:{lock}:<name>                    leases that keep one replica on a review or a training run
 *
 * A pair's keys share one hash tag, so the recent orders of a pair are one
 * MGET on one Redis Cluster slot.
 */
export class ReplenishmentStore {
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    readonly tenant: string,
    private readonly orderRetentionDays: number,
  ) {
    this.base = `repl:${keyPart(tenant)}:`;
  }

  private pairTag({ sku, store }: SkuStore): string {
    return `${this.base}{p:${keyPart(sku)}:${keyPart(store)}}`;
  }

  private get activeKey(): string {
    return `${this.base}{active}`;
  }

  orderKey(pair: SkuStore, period: string): string {
    return `${this.pairTag(pair)}:o:${period}`;
  }

  /**
   * Marks pairs active as of their newest event and raises the last offset
   * seen per pair on `partition`; idempotent (both are maxima, so a
   * redelivered event changes nothing).
   */
  async markActive(pairs: ReadonlyMap<string, { pair: SkuStore; atMs: number; offset: bigint }>, partition: number): Promise<void> {
    if (pairs.size === 0) return;
    const args: (string | number)[] = [];
    const raised: Promise<unknown>[] = [];
    // One command per pair key: on a cluster the pairs live on different slots.
    for (const { pair, atMs, offset } of pairs.values()) {
      args.push(atMs, JSON.stringify([pair.sku, pair.store]));
      raised.push(this.redis.eval(RAISE_SCRIPT, 1, this.seenKey(pair), String(partition), String(offset), String(this.orderRetentionDays * DAY_MS)));
    }
    await Promise.all(raised);
    await this.redis.zadd(this.activeKey, 'GT', ...args);
  }

  private seenKey(pair: SkuStore): string {
    return `${this.pairTag(pair)}:seen`;
  }

  /** The last offset seen per partition for the pair's events. */
  async seenOffsets(pair: SkuStore): Promise<Map<number, bigint>> {
    const stored = await this.redis.hgetall(this.seenKey(pair));
    return new Map(Object.entries(stored).map(([partition, offset]) => [Number(partition), BigInt(offset)]));
  }

  /**
   * Every pair with an event at or after `sinceMs`, `count` or so at a time.
   * ZSCAN returns each pair present for the whole scan at least once, even
   * while events move pairs around; a repeat is harmless (a review is idempotent).
   */
  async *activePairs(sinceMs: number, count: number): AsyncGenerator<SkuStore[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.zscan(this.activeKey, cursor, 'COUNT', count);
      cursor = next;
      const pairs: SkuStore[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        if (Number(flat[i + 1]) < sinceMs) continue;
        pairs.push(this.pairOf(flat[i]));
      }
      if (pairs.length > 0) yield pairs;
    } while (cursor !== '0');
  }

  /** Active pairs, most recent event first, `page` at a time (training takes the freshest series). */
  async *mostRecentlyActive(page: number): AsyncGenerator<SkuStore[]> {
    for (let offset = 0; ; offset += page) {
      const members = await this.redis.zrevrange(this.activeKey, offset, offset + page - 1);
      if (members.length > 0) yield members.map((member) => this.pairOf(member));
      if (members.length < page) return;
    }
  }

  private pairOf(member: string): SkuStore {
    const [sku, store] = JSON.parse(member) as [string, string];
    return { sku, store };
  }

  /** Forgets pairs without an event since `beforeMs`. */
  async dropInactive(beforeMs: number): Promise<number> {
    return this.redis.zremrangebyscore(this.activeKey, '-inf', `(${beforeMs}`);
  }

  async saveDecision(decision: Decision): Promise<void> {
    await this.redis.set(`${this.pairTag(decision)}:latest`, JSON.stringify(decision), 'PX', this.orderRetentionDays * DAY_MS);
  }

  async latestDecision(pair: SkuStore): Promise<Decision | null> {
    const raw = await this.redis.get(`${this.pairTag(pair)}:latest`);
    return raw === null ? null : (JSON.parse(raw) as Decision);
  }

  async orderRecord(pair: SkuStore, period: string): Promise<OrderRecord | null> {
    const raw = await this.redis.get(this.orderKey(pair, period));
    return raw === null ? null : (JSON.parse(raw) as OrderRecord);
  }

  /**
   * Orders of this pair for the `periods` periods before `period` (index 0:
   * the previous period; quantity 0 where none), each marked counted when it
   * was placed at or before `lastCountAtMs`.
   */
  async recentOrders(pair: SkuStore, period: string, periods: number, lastCountAtMs: number | null): Promise<PlacedOrder[]> {
    if (periods <= 0) return [];
    const keys = Array.from({ length: periods }, (_, k) => this.orderKey(pair, periodBefore(period, k + 1)));
    const values = await this.redis.mget(...keys);
    return values.map((raw) => {
      if (raw === null) return { quantity: 0, counted: false };
      const { order } = JSON.parse(raw) as OrderRecord;
      return { quantity: order.quantity, counted: lastCountAtMs !== null && Date.parse(order.createdAt) <= lastCountAtMs };
    });
  }

  /**
   * Claims the period's order for `order`: the first claim wins and every
   * later one sees the same record, so one order per SKU, store and period
   * whatever restarts or replicas do. A claim left pending longer than
   * `staleAfterMs` belongs to a process that died before Kafka acknowledged
   * it (or before it could say so): it is taken over and produced again with
   * the same content and order id.
   */
  async claimOrder(order: ReplenishmentOrder, nowMs: number, staleAfterMs: number): Promise<OrderClaim> {
    const record: OrderRecord = { state: 'pending', order, claimedAtMs: nowMs };
    const [won, raw] = (await this.redis.eval(
      CLAIM_SCRIPT,
      1,
      this.orderKey(order, order.forPeriod),
      JSON.stringify(record),
      String(staleAfterMs),
      String(nowMs),
      String(this.orderRetentionDays * DAY_MS),
    )) as [number, string];
    const stored = JSON.parse(raw) as OrderRecord;
    if (won === 1) return { kind: 'claimed', record: stored };
    return { kind: stored.state === 'published' ? 'published' : 'in-progress', record: stored };
  }

  /** Leaves a pending claim for anyone to take over now (its produce failed; the order stays as decided). */
  async releaseClaim(record: OrderRecord): Promise<void> {
    await this.redis.set(this.orderKey(record.order, record.order.forPeriod), JSON.stringify({ ...record, released: true }), 'KEEPTTL', 'XX');
  }

  async markPublished(record: OrderRecord, publishedAt: string): Promise<OrderRecord> {
    const published: OrderRecord = { ...record, state: 'published', publishedAt };
    await this.redis.set(this.orderKey(record.order, record.order.forPeriod), JSON.stringify(published), 'KEEPTTL');
    return published;
  }

  /** The period of the last review run that went over every active pair (any replica). */
  async lastReviewedPeriod(): Promise<string | null> {
    return this.redis.get(`${this.base}{review}:last-period`);
  }

  async setLastReviewedPeriod(period: string): Promise<void> {
    await this.redis.set(`${this.base}{review}:last-period`, period);
  }

  /** A lease for one replica's exclusive work (a review, a training run); false when another replica holds it. */
  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.base}{lock}:${name}`, holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Extends a lease `holder` still holds to `ttlMs` from now; false when it expired or another replica holds it. */
  async extendLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const extended = await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
      1,
      `${this.base}{lock}:${name}`,
      holder,
      String(ttlMs),
    );
    return extended === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      `${this.base}{lock}:${name}`,
      holder,
    );
  }
}
