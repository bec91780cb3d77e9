import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import { Catalogs } from '../catalog/catalogs';
import { FeedbackLog } from '../feedback/feedback-log';
import { OnlineMetrics } from '../feedback/online-metrics';
import { ModelRegistry } from '../models/model-registry';
import { RecommendationEngine } from '../recommend/engine';
import { FeatureStoreUnavailable } from '../recommend/feature-store-gate';
import { INFERENCE_ERRORS } from './params';

/**
 * What ML engineers and SREs look at (`admin` scope): the versions serving
 * and the A/B split, online outcomes per version from the feedback stream,
 * the impression spool, the catalogue; and two actions.
 */
@Controller('v1/admin')
@UseGuards(ApiKeyGuard)
@RequireScope('admin')
export class AdminController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly online: OnlineMetrics,
    private readonly feedback: FeedbackLog,
    private readonly catalogs: Catalogs,
    private readonly engine: RecommendationEngine,
  ) {}

  /** With Redis down or slow the online figures are `null` (and `onlineUnavailable` says why); the rest is in memory. */
  @Get('models')
  async models() {
    const online = await this.online.snapshot().catch((error: unknown) => {
      if (error instanceof FeatureStoreUnavailable) return { unavailable: error.message };
      throw error;
    });
    const figures = Array.isArray(online) ? { online } : { online: null, onlineUnavailable: online.unavailable };
    return { ...this.registry.status(), ...figures, impressions: this.feedback.stats(), catalog: this.catalogs.status() };
  }

  /** Re-reads the champion pointer and the challenger from the artifact store now. */
  @Post('models/reload')
  @HttpCode(200)
  async reload() {
    await this.registry.reload();
    return this.registry.status();
  }

  /** Reloads the item catalogue from Redis now (otherwise every INFERENCE_CATALOG_REFRESH_MS). */
  @Post('catalog/refresh')
  @HttpCode(200)
  async refreshCatalog() {
    const gate = this.engine.featureStore;
    const skip = gate.skipReason();
    try {
      if (skip) throw new FeatureStoreUnavailable(skip);
      await this.catalogs.refresh();
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      // The previous snapshot keeps serving; the refresh is a scan of Redis, which is down or failing.
      const message = error instanceof Error ? error.message : String(error);
      throw new HttpProblem(503, INFERENCE_ERRORS.featureStoreUnavailable, `the catalogue cannot be reloaded: ${message}; the previous one serves`, {}, { 'Retry-After': String(gate.retryAfterSeconds) });
    }
    return this.catalogs.status();
  }
}
