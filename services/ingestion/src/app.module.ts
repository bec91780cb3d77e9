import { Module, type DynamicModule } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { KAFKA, PartitionTransactions } from '@storeloop/messaging';
import { ROOT_LOGGER, type Logger } from '@storeloop/observability';
import { DocsModule, PlatformModule, SecurityModule } from '@storeloop/platform';
import type { IngestionConfig } from './config';
import { ingestionOpenApi } from './docs/openapi';
import { EventsController } from './events/events.controller';
import { IngestMetrics } from './intake/ingest-metrics';
import { IngestPipeline } from './intake/ingest-pipeline';
import { RawTransactionsLifecycle } from './intake/raw-transactions';
import { INGEST_SETTINGS, RAW_TRANSACTIONS } from './intake/tokens';
import { RawEventsConsumer } from './raw/raw-events.consumer';

export const SERVICE_NAME = 'ingestion';

/** Accepts retail events over HTTP and from the raw topic, validates them and writes them to the events topic. */
@Module({})
export class IngestionModule {
  static register(config: IngestionConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [
        PlatformModule.forService({ service: SERVICE_NAME, config }),
        SecurityModule.forRoot(config.security),
        DocsModule.forRoot(ingestionOpenApi(config.ingest)),
      ],
      controllers: [EventsController, RawEventsConsumer],
      providers: [
        { provide: INGEST_SETTINGS, useValue: config.ingest },
        {
          provide: RAW_TRANSACTIONS,
          inject: [KAFKA, ROOT_LOGGER],
          // One transactional id per raw partition: a new owner fences the old one and waits for its commit.
          useFactory: (kafka: Kafka, logger: Logger) => new PartitionTransactions(kafka, `storeloop-${SERVICE_NAME}-raw`, logger),
        },
        RawTransactionsLifecycle,
        IngestMetrics,
        IngestPipeline,
      ],
    };
  }
}
