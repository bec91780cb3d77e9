import { Controller, Get, NotFoundException, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import type { Response } from 'express';
import { DASHBOARD_ASSETS_MISSING, DASHBOARD_HEADERS, DashboardAssets, type DashboardAsset } from './dashboard-assets';
import { DashboardService } from './dashboard.service';

function send(assets: DashboardAssets, response: Response, asset: DashboardAsset | undefined, cache: string): void {
  if (assets.missing) throw new HttpProblem(503, DASHBOARD_ASSETS_MISSING, assets.missing);
  if (!asset) throw new NotFoundException();
  for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) response.setHeader(name, value);
  response.type(asset.type).setHeader('Cache-Control', cache);
  response.send(asset.bytes);
}

/** `/dashboard`: the page and its files, without a key (they hold no data; the page asks for a key). */
@Controller('dashboard')
export class DashboardPageController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  page(@Res() response: Response): void {
    send(this.assets, response, this.assets.page(), 'no-cache');
  }

  @Get('vendor/:name')
  vendor(@Param('name') name: string, @Res() response: Response): void {
    send(this.assets, response, this.assets.vendorFile(name), 'public, max-age=86400');
  }

  @Get(':name')
  file(@Param('name') name: string, @Res() response: Response): void {
    send(this.assets, response, this.assets.file(name), 'no-cache');
  }
}

/** The page's data (`admin` scope): scraped series, model versions, a recommendation preview, a replenishment simulation. */
@Controller('v1/admin/dashboard')
@UseGuards(ApiKeyGuard)
@RequireScope('admin')
export class DashboardDataController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('series')
  series() {
    this.dashboard.watch();
    return this.dashboard.series();
  }

  @Get('models')
  models() {
    this.dashboard.watch();
    return this.dashboard.models();
  }

  @Get('preview')
  preview(@Query() query: Record<string, unknown>) {
    return this.dashboard.preview(query);
  }

  @Get('replenishment/pairs')
  replenishmentPairs() {
    return this.dashboard.replenishmentPairs();
  }

  @Get('replenishment')
  replenishment(@Query() query: Record<string, unknown>) {
    return this.dashboard.replenishment(query);
  }
}
