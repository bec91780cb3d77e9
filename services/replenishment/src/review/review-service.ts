import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS, messageKeyOf, type ReplenishmentOrder } from '@storeloop/contracts';
import { REDIS, readSkuStoreViews, readStoredOffsets, type RedisClient, type SkuStoreFeatureView } from '@storeloop/feature-store';
import { TopicNamer, TopicProducer } from '@storeloop/messaging';
import { ROOT_LOGGER, type Logger } from '@storeloop/observability';
import type { ReplenishmentSettings } from '../config';
import { ReplenishmentMetrics } from '../metrics';
import { PolicyRegistry } from '../policy/policy-registry';
import { ReplenishmentStore, orderIdOf, type OrderRecord, type SkuStore } from '../store/replenishment-store';
import { REPLENISHMENT_SETTINGS } from '../tokens';
import { decide, withPlacedOrder, type Decision, type PlacedOrderSummary } from './decision';
import { forecastFromDailySales } from './forecast';
import { periodOf } from './schedule';

const DAY_MS = 86_400_000;
/** A pending order claim older than this was cut off by a crash (a produce gives up well before). */
const PENDING_STALE_MS = 2 * 60_000;
/** Pairs decided concurrently within a slice: their Redis and Kafka round trips overlap. */
const PAIR_CONCURRENCY = 16;
/** The review lease: extended before every slice, so it only lapses when a replica stops mid-review. */
const REVIEW_LEASE_MS = 30 * 60_000;

export type ReviewTrigger = 'schedule' | 'demand';

/** What a review of one pair gave: a decision, or why there is none. */
export type PairReview =
  | { kind: 'decided'; decision: Decision }
  /** The feature store holds nothing for the pair. */
  | { kind: 'unknown-pair' }
  /** The feature store has not applied every event seen for the pair yet; the next review decides. */
  | { kind: 'features-behind'; partitions: number[] };

/** Offsets the features service stored with the views: next offset to apply per partition of retail.events.v1. */
export type AppliedOffsets = Map<number, string>;

export interface ReviewRunSummary {
  period: string;
  pairs: number;
  orders: number;
  unknown: number;
  deferred: number;
  failed: number;
}

function summaryOf(record: OrderRecord): PlacedOrderSummary {
  return {
    orderId: record.order.orderId ?? '',
    quantity: record.order.quantity,
    policy: record.order.policy,
    policyVersion: record.order.policyVersion,
    state: record.state,
    publishedAt: record.publishedAt ?? null,
  };
}

/**
 * Decides and places the orders of a review period. For each pair it reads
 * the feature store's stock and sales (the source of truth: the features
 * service applies every event exactly once) once the store has applied every
 * event this service saw for the pair, asks the classical and learned
 * policies, and publishes the acting policy's order if it is positive. A
 * period's order is claimed in Redis before it is produced, so a pair gets at
 * most one order per period whatever restarts, replicas or on-demand reviews
 * do; once ordered, later reviews in the period return that decision.
 */
@Injectable()
export class ReviewService {
  private readonly instance = randomUUID();

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(REPLENISHMENT_SETTINGS) private readonly settings: ReplenishmentSettings,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly store: ReplenishmentStore,
    private readonly policies: PolicyRegistry,
    private readonly producer: TopicProducer,
    private readonly metrics: ReplenishmentMetrics,
    private readonly namer: TopicNamer,
  ) {}

  /** What the feature store has applied of retail.events.v1 (the features service's offsets, stored with the views). */
  /** The period of the last complete review run, for catching up a missed daily review. */
  lastReviewedPeriod(): Promise<string | null> {
    return this.store.lastReviewedPeriod();
  }

  appliedOffsets(): Promise<AppliedOffsets> {
    return readStoredOffsets(this.redis, this.settings.REPLENISHMENT_FEATURES_CONSUMER_GROUP, this.namer.physical(TOPICS.events.name));
  }

  /** Partitions where an event seen for the pair is not applied to the feature store yet. */
  private async partitionsBehind(pair: SkuStore, applied: AppliedOffsets): Promise<number[]> {
    const behind: number[] = [];
    for (const [partition, offset] of await this.store.seenOffsets(pair)) {
      const next = applied.get(partition);
      if (next === undefined || BigInt(next) <= offset) behind.push(partition);
    }
    return behind;
  }

  /**
   * Reviews one pair now (on demand, or from a review run with its view and
   * the applied offsets already read: the view must be read after the offsets).
   */
  async reviewPair(
    pair: SkuStore,
    trigger: ReviewTrigger,
    nowMs = Date.now(),
    read?: { view: SkuStoreFeatureView; applied: AppliedOffsets },
  ): Promise<PairReview> {
    const period = periodOf(nowMs);
    const stored = await this.store.orderRecord(pair, period);
    const existing = stored?.state === 'pending' ? await this.settle(stored, nowMs) : stored;
    if (existing) {
      const latest = await this.store.latestDecision(pair);
      if (latest && latest.period === period) return { kind: 'decided', decision: { ...latest, order: summaryOf(existing) } };
    }
    const applied = read?.applied ?? (await this.appliedOffsets());
    const behind = await this.partitionsBehind(pair, applied);
    if (behind.length > 0) {
      this.metrics.deferred.inc({ trigger });
      return { kind: 'features-behind', partitions: behind };
    }
    const [current] = read ? [read.view] : await readSkuStoreViews(this.redis, [pair], { tenant: this.store.tenant, asOf: nowMs });
    if (!current.known) return { kind: 'unknown-pair' };
    const acting = await this.policies.acting();
    const lastCountAtMs = current.lastCountAt === null ? null : Date.parse(current.lastCountAt);
    const decision = decide({
      ...pair,
      period,
      decidedAtMs: nowMs,
      view: current,
      forecast: forecastFromDailySales(current.dailyUnitsSold, acting.forecastWindowDays),
      recentOrders: await this.store.recentOrders(pair, period, Math.max(0, this.settings.REPLENISHMENT_LEAD_TIME_DAYS - 1), lastCountAtMs),
      leadTimeDays: this.settings.REPLENISHMENT_LEAD_TIME_DAYS,
      classical: acting.classical,
      learned: acting.learned,
    });
    this.metrics.decisions.inc({ trigger, acting: decision.acting });
    if (decision.learnedError) {
      this.metrics.learnedFailures.inc();
      this.logger.warn({ ...pair, period, error: decision.learnedError }, 'learned policy gave no usable order; the classical order acts');
    }
    const record = existing ?? (decision.quantity > 0 ? await this.placeOrder(decision, nowMs) : null);
    // Another review may have placed the period's order: what is saved and served is the order placed.
    const final: Decision = record ? { ...withPlacedOrder(decision, record.order), order: summaryOf(record) } : { ...decision, order: null };
    await this.store.saveDecision(final);
    return { kind: 'decided', decision: final };
  }

  /** Claims the period's order and produces it; another claim of the same period wins over this one (its record is returned). */
  private async placeOrder(decision: Decision, nowMs: number): Promise<OrderRecord> {
    const acting = decision.acting === 'learned' && decision.learned ? decision.learned : decision.classical;
    const order: ReplenishmentOrder = {
      sku: decision.sku,
      store: decision.store,
      quantity: decision.quantity,
      policy: acting.policy,
      policyVersion: acting.policyVersion,
      forPeriod: decision.period,
      createdAt: new Date(nowMs).toISOString(),
      orderId: orderIdOf(this.store.tenant, decision.sku, decision.store, decision.period),
      baseline: { ...decision.classical },
    };
    const claim = await this.store.claimOrder(order, nowMs, PENDING_STALE_MS);
    if (claim.kind !== 'claimed') return claim.record;
    return this.produce(claim.record);
  }

  /** A pending claim: produce it again if its claimer died (same content and id), else leave it to its claimer. */
  private async settle(record: OrderRecord, nowMs: number): Promise<OrderRecord> {
    const claim = await this.store.claimOrder(record.order, nowMs, PENDING_STALE_MS);
    if (claim.kind !== 'claimed') return claim.record;
    this.logger.warn({ orderId: record.order.orderId, period: record.order.forPeriod }, 'producing an order whose claimer stopped before Kafka acknowledged it');
    return this.produce(claim.record);
  }

  private async produce(record: OrderRecord): Promise<OrderRecord> {
    const { order } = record;
    try {
      await this.producer.send(TOPICS.replenishment.name, [{ key: messageKeyOf(TOPICS.replenishment.name, order), value: order }]);
    } catch (error) {
      // Not acknowledged: the next review produces the same order again at once rather than after the stale time.
      await this.store.releaseClaim(record).catch(() => undefined);
      throw error;
    }
    const published = await this.store.markPublished(record, new Date().toISOString());
    this.metrics.orders.inc({ policy: order.policy });
    this.metrics.orderUnits.inc({ policy: order.policy }, order.quantity);
    this.logger.info({ orderId: order.orderId, sku: order.sku, store: order.store, quantity: order.quantity, policy: order.policy, period: order.forPeriod }, 'replenishment order published');
    return published;
  }

  /**
   * Reviews every active pair, slice by slice; one replica at a time (a
   * lease in Redis). Returns undefined when another replica holds the lease.
   * Stops between slices when `signal` aborts (shutdown): what is decided
   * stays, and the next run decides the rest.
   */
  async reviewAll(nowMs = Date.now(), signal?: AbortSignal): Promise<ReviewRunSummary | undefined> {
    if (!(await this.store.acquireLease('review', this.instance, REVIEW_LEASE_MS))) {
      this.metrics.reviews.inc({ outcome: 'skipped' });
      return undefined;
    }
    const end = this.metrics.reviewSeconds.startTimer();
    const summary: ReviewRunSummary = { period: periodOf(nowMs), pairs: 0, orders: 0, unknown: 0, deferred: 0, failed: 0 };
    try {
      const since = nowMs - this.settings.REPLENISHMENT_ACTIVE_DAYS * DAY_MS;
      await this.store.dropInactive(since);
      for await (const pairs of this.store.activePairs(since, this.settings.REPLENISHMENT_REVIEW_BATCH)) {
        if (signal?.aborted) {
          this.logger.warn(summary, 'review interrupted by shutdown; the next review decides the rest');
          return summary;
        }
        if (!(await this.store.extendLease('review', this.instance, REVIEW_LEASE_MS))) {
          // The lease lapsed (a stall longer than REVIEW_LEASE_MS): another replica may be reviewing; leave the rest to it.
          this.metrics.reviews.inc({ outcome: 'lost' });
          this.logger.error(summary, 'review lease lost mid-review; stopping, another replica or the next review decides the rest');
          return summary;
        }
        // Offsets first: a view read after them holds at least what they say is applied.
        const applied = await this.appliedOffsets();
        const views = await readSkuStoreViews(this.redis, pairs, { tenant: this.store.tenant, asOf: nowMs });
        for (let i = 0; i < pairs.length; i += PAIR_CONCURRENCY) {
          const results = await Promise.allSettled(
            pairs.slice(i, i + PAIR_CONCURRENCY).map((pair, j) => this.reviewPair(pair, 'schedule', nowMs, { view: views[i + j], applied })),
          );
          results.forEach((result, j) => {
            summary.pairs++;
            if (result.status === 'rejected') {
              summary.failed++;
              this.logger.error({ err: result.reason, ...pairs[i + j] }, 'review of a pair failed; the next review tries again');
            } else if (result.value.kind === 'unknown-pair') summary.unknown++;
            else if (result.value.kind === 'features-behind') summary.deferred++;
            else if (result.value.decision.order) summary.orders++;
          });
        }
      }
      this.metrics.activePairs.set(summary.pairs);
      if (summary.failed === 0) await this.store.setLastReviewedPeriod(summary.period);
      this.metrics.reviews.inc({ outcome: summary.failed > 0 ? 'failed' : 'completed' });
      this.logger.info(summary, 'review completed');
      if (summary.deferred > 0 && summary.deferred === summary.pairs) {
        this.logger.warn(
          { group: this.settings.REPLENISHMENT_FEATURES_CONSUMER_GROUP, deferred: summary.deferred },
          'every pair waits for the feature store: is the features service running, and is REPLENISHMENT_FEATURES_CONSUMER_GROUP its FEATURES_CONSUMER_GROUP?',
        );
      }
      return summary;
    } catch (error) {
      this.metrics.reviews.inc({ outcome: 'failed' });
      throw error;
    } finally {
      end();
      await this.store.releaseLease('review', this.instance);
    }
  }
}
