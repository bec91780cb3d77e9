import type { Provider, Type } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, ROOT_LOGGER, type Logger } from '@storeloop/observability';
import type { InferenceConfig } from '../config';
import { OnlineMetrics } from '../feedback/online-metrics';
import { ModelRegistry } from '../models/model-registry';
import { RecommendationEngine } from '../recommend/engine';
import { DashboardAssets } from './dashboard-assets';
import { DashboardDataController, DashboardPageController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

/**
 * The dashboard lives in the inference module itself (not a module of its
 * own): it reads the registry, the online metrics and the engine that module
 * provides, the same instances the storefront routes use.
 */
export const DASHBOARD_CONTROLLERS: Type[] = [DashboardPageController, DashboardDataController];

export function dashboardProviders(config: InferenceConfig): Provider[] {
  return [
    { provide: DashboardAssets, inject: [ROOT_LOGGER], useFactory: (logger: Logger) => new DashboardAssets(undefined, logger) },
    {
      provide: DashboardService,
      inject: [ModelRegistry, OnlineMetrics, RecommendationEngine, ROOT_LOGGER, METRICS_REGISTRY],
      useFactory: (registry: ModelRegistry, online: OnlineMetrics, engine: RecommendationEngine, logger: Logger, metrics: Registry) =>
        new DashboardService({ settings: config.dashboard, inference: config.inference, registry, online, engine, logger, metrics }),
    },
  ];
}
