import { runPlatformService } from '@storeloop/platform';
import { IngestionModule, SERVICE_NAME } from './app.module';
import { loadIngestionConfig } from './config';

runPlatformService({
  service: SERVICE_NAME,
  loadConfig: () => loadIngestionConfig(),
  createModule: (config) => IngestionModule.register(config),
});
