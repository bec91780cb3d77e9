import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, RequireScope } from '@storeloop/platform';
import { Catalogs } from '../catalog/catalogs';
import { FeedbackLog } from '../feedback/feedback-log';
import { OnlineMetrics } from '../feedback/online-metrics';
import { ModelRegistry } from '../models/model-registry';

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
  ) {}

  @Get('models')
  async models() {
    return { ...this.registry.status(), online: await this.online.snapshot(), impressions: this.feedback.stats(), catalog: this.catalogs.status() };
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
    await this.catalogs.refresh();
    return this.catalogs.status();
  }
}
