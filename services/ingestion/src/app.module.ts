import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type PlatformConfig } from '@storeloop/platform';

export const SERVICE_NAME = 'ingestion';

/** Accepts retail events over HTTP and from the raw topic, validates them and writes them to the events topic. */
@Module({})
export class IngestionModule {
  static register(config: PlatformConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [PlatformModule.forService({ service: SERVICE_NAME, config })],
    };
  }
}
