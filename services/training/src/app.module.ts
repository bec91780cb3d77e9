import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type PlatformConfig } from '@storeloop/platform';

export const SERVICE_NAME = 'training';

/** Trains, evaluates and promotes recommendation and propensity models. */
@Module({})
export class TrainingModule {
  static register(config: PlatformConfig): DynamicModule {
    return {
      module: TrainingModule,
      imports: [PlatformModule.forService({ service: SERVICE_NAME, config })],
    };
  }
}
