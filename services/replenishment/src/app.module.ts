import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type PlatformConfig } from '@storeloop/platform';

export const SERVICE_NAME = 'replenishment';

/** Learns and publishes replenishment orders per SKU and store. */
@Module({})
export class ReplenishmentModule {
  static register(config: PlatformConfig): DynamicModule {
    return {
      module: ReplenishmentModule,
      imports: [PlatformModule.forService({ service: SERVICE_NAME, config })],
    };
  }
}
