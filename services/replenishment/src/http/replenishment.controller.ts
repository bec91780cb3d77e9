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
import { boundedIntFromQuery, policyVersionFromQuery, skuStoreFromPath } from './path-params';

export const NO_DECISION = 'REPLENISHMENT.NO_DECISION';
export const UNKNOWN_PAIR = 'REPLENISHMENT.UNKNOWN_PAIR';
export const FEATURES_BEHIND = 'REPLENISHMENT.FEATURES_BEHIND';
export const UNAVAILABLE = 'REPLENISHMENT.UNAVAILABLE';
export const NO_LEARNED_POLICY = 'REPLENISHMENT.NO_LEARNED_POLICY';
export const UNKNOWN_POLICY_VERSION = 'REPLENISHMENT.UNKNOWN_POLICY_VERSION';
export const POLICY_LOAD_FAILED = 'REPLENISHMENT.POLICY_LOAD_FAILED';
const RETRY_SECONDS = 2;
const DAY_MS = 86_400_000;
export const PAIRS_LIMIT = { default: 100, min: 1, max: 1000 } as const;

/** The learned and base-stock policies replayed on one pair's recent demand (GET .../simulation). */
export interface PairSimulation extends Omit<PolicyReplay, 'initialOnHand'> {
  sku: string;
  store: string;
  /**
   * The learned policy replayed and the base-stock policy tuned in its run,
   * which it corrects (for the serving policy, the published orders'
   * `baseline`). `promoted` false: the run's policy did not beat that
   * base-stock on held-out days, and no order was placed with it.
   */
  policy: { name: string; version: string; promoted: boolean; outcome: 'promoted' | 'rejected'; baseline: { name: string; version: string } };
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
   * 7 to 365) with a learned policy and with the base-stock policy tuned in
   * its run, at the service's lead time and costs: what each would have
   * stocked, ordered and cost. The policy is run `version`'s when asked,
   * else the promoted one, else the newest trained (rejected) one, marked
   * `promoted: false`.
   */
  @Get(':sku/:store/simulation')
  @RequireScope('infer')
  async simulation(
    @Param('sku') sku: string,
    @Param('store') store: string,
    @Query('days') rawDays: unknown,
    @Query('version') rawVersion: unknown,
  ): Promise<PairSimulation> {
    const pair = skuStoreFromPath(sku, store);
    const days = boundedIntFromQuery('days', rawDays, SIMULATION_DAYS);
    const version = policyVersionFromQuery(rawVersion);
    const [view] = await readSkuStoreViews(this.redis, [pair], { tenant: this.store.tenant });
    const history = view.known ? salesHistory(view.dailyUnitsSold) : [];
    if (history.length === 0) throw new HttpProblem(404, UNKNOWN_PAIR, `the feature store holds no completed day of sales for SKU "${sku}" in store "${store}"`);
    const replayable = await this.policies.replayable(version);
    if (replayable.kind === 'none' && version !== undefined) {
      throw new HttpProblem(404, UNKNOWN_POLICY_VERSION, `no stored training run ${version} has a learned policy (failed, or older than the runs kept): see GET /v1/policies`, { version });
    }
    if (replayable.kind === 'none') {
      throw new HttpProblem(503, NO_LEARNED_POLICY, 'no training run has stored a learned policy yet: see GET /v1/policies, or train one with POST /v1/policies/train');
    }
    if (replayable.kind === 'load-failed') {
      throw new HttpProblem(503, POLICY_LOAD_FAILED, `the learned policy of run ${replayable.run.version} could not be loaded from the artifact store (the service log says why)`, { version: replayable.run.version });
    }
    const { run, policies } = replayable;
    const costs = { leadTime: this.settings.REPLENISHMENT_LEAD_TIME_DAYS, holdingRate: this.settings.REPLENISHMENT_HOLDING_COST, penaltyRate: this.settings.REPLENISHMENT_PENALTY_COST };
    // The history ends on the day before the view's day (today so far is left out).
    const lastDayMs = Math.floor(Date.parse(view.asOf) / DAY_MS) * DAY_MS - DAY_MS;
    const replay = replayPolicies({ history, days, costs, baseStock: policies.classical, learned: policies.learned, lastDayMs });
    return {
      sku,
      store,
      days: replay.days,
      policy: {
        name: policies.learned.name,
        version: policies.learned.version,
        promoted: run.outcome === 'promoted',
        outcome: run.outcome,
        baseline: { name: policies.classical.name, version: policies.classical.version },
      },
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
