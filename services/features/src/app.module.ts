import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type PlatformConfig } from '@storeloop/platform';

export const SERVICE_NAME = 'features';

/** Keeps the online feature store in Redis from the events and feedback topics. */
@Module({})
export class FeaturesModule {
  static register(config: PlatformConfig): DynamicModule {
    return {
      module: FeaturesModule,
      imports: [PlatformModule.forService({ service: SERVICE_NAME, config })],
    };
  }
}
