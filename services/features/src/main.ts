import { runPlatformService } from '@storeloop/platform';
import { FeaturesModule, SERVICE_NAME } from './app.module';
import { loadFeaturesConfig } from './config';

runPlatformService({
  service: SERVICE_NAME,
  loadConfig: () => loadFeaturesConfig(),
  createModule: (config) => FeaturesModule.register(config),
});
