import { runPlatformService } from '@storeloop/platform';
import { InferenceModule, SERVICE_NAME } from './app.module';
import { loadInferenceConfig } from './config';

runPlatformService({
  service: SERVICE_NAME,
  loadConfig: () => loadInferenceConfig(),
  createModule: (config) => InferenceModule.register(config),
});
