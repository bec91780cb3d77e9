import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { StoreloopError } from '@storeloop/observability';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import type { Decision } from '../review/decision';
import { ReviewService, type PairReview } from '../review/review-service';
import { ReplenishmentStore, type SkuStore } from '../store/replenishment-store';
import { skuStoreFromPath } from './path-params';

export const NO_DECISION = 'REPLENISHMENT.NO_DECISION';
export const UNKNOWN_PAIR = 'REPLENISHMENT.UNKNOWN_PAIR';
export const FEATURES_BEHIND = 'REPLENISHMENT.FEATURES_BEHIND';
export const UNAVAILABLE = 'REPLENISHMENT.UNAVAILABLE';
const RETRY_SECONDS = 2;

/**
 * The decisions per SKU and store: the latest one (read scope `infer`, the
 * serving scope), and a review now (scope `admin`: it may place an order).
 */
@Controller('v1/replenishment')
@UseGuards(ApiKeyGuard)
export class ReplenishmentController {
  constructor(
    private readonly store: ReplenishmentStore,
    private readonly reviews: ReviewService,
  ) {}

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
