import { Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { REDIS, readSkuStoreViews, type RedisClient } from '@storeloop/feature-store';
import { StoreloopError } from '@storeloop/observability';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import type { ReplenishmentSettings } from '../config';
import { PolicyRegistry } from '../policy/policy-registry';
import { SIMULATION_DAYS, replayPolicies, type PolicyReplay } from '../policy/simulation';
import type { Decision } from '../review/decision';
import { salesHistory } from '../review/forecast';
import { ReviewService, type PairReview } from '../review/review-service';
import { ReplenishmentStore, type SkuStore } from '../store/replenishment-store';
import { REPLENISHMENT_SETTINGS } from '../tokens';
import { boundedIntFromQuery, skuStoreFromPath } from './path-params';

export const NO_DECISION = 'REPLENISHMENT.NO_DECISION';
export const UNKNOWN_PAIR = 'REPLENISHMENT.UNKNOWN_PAIR';
export const FEATURES_BEHIND = 'REPLENISHMENT.FEATURES_BEHIND';
export const UNAVAILABLE = 'REPLENISHMENT.UNAVAILABLE';
export const NO_LEARNED_POLICY = 'REPLENISHMENT.NO_LEARNED_POLICY';
const RETRY_SECONDS = 2;
const DAY_MS = 86_400_000;
export const PAIRS_LIMIT = { default: 100, min: 1, max: 1000 } as const;

/** The learned and base-stock policies replayed on one pair's recent demand (GET .../simulation). */
export interface PairSimulation extends Omit<PolicyReplay, 'initialOnHand'> {
  sku: string;
  store: string;
  /** The serving learned policy, and the tuned base-stock policy its orders correct (the published orders' `baseline`). */
  policy: { name: string; version: string; baseline: { name: string; version: string } };
  leadTimeDays: number;
  costs: { holding: number; penalty: number };
  initialOnHand: number;
}

/**
 * The decisions per SKU and store: the latest one, the pairs tracked and a
 * replay of both policies on a pair's demand (read scope `infer`, the
 * serving scope), and a review now (scope `admin`: it may place an order).
 */
@Controller('v1/replenishment')
@UseGuards(ApiKeyGuard)
export class ReplenishmentController {
  constructor(
    private readonly store: ReplenishmentStore,
    private readonly reviews: ReviewService,
    private readonly policies: PolicyRegistry,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(REPLENISHMENT_SETTINGS) private readonly settings: ReplenishmentSettings,
  ) {}

  /** The pairs the service reviews, most recent event first; at most `limit` (default 100, up to 1000). */
  @Get('pairs')
  @RequireScope('infer')
  async pairs(@Query('limit') rawLimit: unknown): Promise<{ limit: number; pairs: SkuStore[] }> {
    const limit = boundedIntFromQuery('limit', rawLimit, PAIRS_LIMIT);
    const pages = this.store.mostRecentlyActive(limit);
    const first = await pages.next();
    await pages.return(undefined);
    return { limit, pairs: first.done ? [] : first.value };
  }

  /**
   * Replays the pair's last `days` completed days of demand (default 56,
   * 7 to 365) with the serving learned policy and with the base-stock policy
   * it corrects, at the service's lead time and costs: what each would have
   * stocked, ordered and cost.
   */
  @Get(':sku/:store/simulation')
  @RequireScope('infer')
  async simulation(@Param('sku') sku: string, @Param('store') store: string, @Query('days') rawDays: unknown): Promise<PairSimulation> {
    const pair = skuStoreFromPath(sku, store);
    const days = boundedIntFromQuery('days', rawDays, SIMULATION_DAYS);
    const [view] = await readSkuStoreViews(this.redis, [pair], { tenant: this.store.tenant });
    const history = view.known ? salesHistory(view.dailyUnitsSold) : [];
    if (history.length === 0) throw new HttpProblem(404, UNKNOWN_PAIR, `the feature store holds no completed day of sales for SKU "${sku}" in store "${store}"`);
    const acting = await this.policies.acting();
    if (!acting.learned) {
      throw new HttpProblem(503, NO_LEARNED_POLICY, 'no learned policy is loaded yet (none promoted, or its artifact failed to load): see GET /v1/policies');
    }
    const costs = { leadTime: this.settings.REPLENISHMENT_LEAD_TIME_DAYS, holdingRate: this.settings.REPLENISHMENT_HOLDING_COST, penaltyRate: this.settings.REPLENISHMENT_PENALTY_COST };
    // The history ends on the day before the view's day (today so far is left out).
    const lastDayMs = Math.floor(Date.parse(view.asOf) / DAY_MS) * DAY_MS - DAY_MS;
    const replay = replayPolicies({ history, days, costs, baseStock: acting.classical, learned: acting.learned, lastDayMs });
    return {
      sku,
      store,
      days: replay.days,
      policy: { name: acting.learned.name, version: acting.learned.version, baseline: { name: acting.classical.name, version: acting.classical.version } },
      leadTimeDays: costs.leadTime,
      costs: { holding: costs.holdingRate, penalty: costs.penaltyRate },
      initialOnHand: replay.initialOnHand,
      series: replay.series,
      totals: replay.totals,
    };
  }

  @Get(':sku/:store')
  @RequireScope('infer')
  async latest(@Param('sku') sku: string, @Param('store') store: string): Promise<Decision> {
    const pair = skuStoreFromPath(sku, store);
    const decision = await this.store.latestDecision(pair);
    if (!decision) throw new HttpProblem(404, NO_DECISION, `no decision yet for SKU "${sku}" in store "${store}"; one comes with the next review, or POST .../review`);
    return decision;
  }

  @Post(':sku/:store/review')
  @HttpCode(200)
  @RequireScope('admin')
  async review(@Param('sku') sku: string, @Param('store') store: string): Promise<Decision> {
    const result = await this.reviewNow(skuStoreFromPath(sku, store));
    if (result.kind === 'unknown-pair') {
      throw new HttpProblem(404, UNKNOWN_PAIR, `the feature store holds no sales or stock for SKU "${sku}" in store "${store}"`);
    }
    if (result.kind === 'features-behind') {
      throw new HttpProblem(
        503,
        FEATURES_BEHIND,
        `the feature store has not applied every event seen for this pair yet (partitions ${result.partitions.join(', ')}); retry shortly`,
        { partitions: result.partitions, retryAfterSeconds: RETRY_SECONDS },
        { 'Retry-After': String(RETRY_SECONDS) },
      );
    }
    return result.decision;
  }

  private async reviewNow(pair: SkuStore): Promise<PairReview> {
    try {
      return await this.reviews.reviewPair(pair, 'demand');
    } catch (error) {
      // Kafka or Redis unavailable: a claimed order is kept, and a retry places that same order.
      if (!(error instanceof StoreloopError) || !error.retriable) throw error;
      throw new HttpProblem(
        503,
        UNAVAILABLE,
        `could not complete the review (${error.code}); retry: the period still gets one order`,
        { retryAfterSeconds: RETRY_SECONDS },
        { 'Retry-After': String(RETRY_SECONDS) },
      );
    }
  }
}
