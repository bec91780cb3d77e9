import { runPlatformService } from '@storeloop/platform';
import { TrainingModule, SERVICE_NAME } from './app.module';
import { loadTrainingConfig } from './config';

runPlatformService({
  service: SERVICE_NAME,
  loadConfig: () => loadTrainingConfig(),
  createModule: (config) => TrainingModule.register(config),
});
