import { runPlatformService } from '@storeloop/platform';
import { ReplenishmentModule, SERVICE_NAME } from './app.module';
import { loadReplenishmentConfig } from './config';

runPlatformService({
  service: SERVICE_NAME,
  loadConfig: () => loadReplenishmentConfig(),
  createModule: (config) => ReplenishmentModule.register(config),
});
