import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type PlatformConfig } from '@storeloop/platform';

export const SERVICE_NAME = 'inference';

/** Answers storefront backends with recommendations, similar items, propensity and segments. */
@Module({})
export class InferenceModule {
  static register(config: PlatformConfig): DynamicModule {
    return {
      module: InferenceModule,
      imports: [PlatformModule.forService({ service: SERVICE_NAME, config })],
    };
  }
}
