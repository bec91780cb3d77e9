import { TOPICS } from '@storeloop/contracts';
import { connectBatchConsumer, runPlatformService } from '@storeloop/platform';
import { IngestionModule, SERVICE_NAME } from './app.module';
import { loadIngestionConfig } from './config';
import { decodeRawRecord } from './intake/intake';
import { RAW_TRANSACTIONS } from './intake/tokens';
import type { PartitionTransactions } from '@storeloop/messaging';

runPlatformService({
  service: SERVICE_NAME,
  loadConfig: () => loadIngestionConfig(),
  createModule: (config) => IngestionModule.register(config),
  // The events endpoint reads its body itself: byte limit, NDJSON, and parse positions in errors.
  nestOptions: { bodyParser: false },
  beforeListen: (app, config) => {
    if (!config.ingest.INGEST_CONSUME_RAW) return;
    connectBatchConsumer(app, {
      groupId: config.ingest.INGEST_CONSUMER_GROUP,
      decoders: { [TOPICS.rawEvents.name]: decodeRawRecord },
      maxHandlerBatch: config.ingest.INGEST_MAX_HANDLER_BATCH,
      sessionTimeoutMs: config.ingest.INGEST_SESSION_TIMEOUT_MS,
      // Valid events are never dead-lettered because Kafka or Redis is down: retry until they return.
      retry: { maxRetries: Number.MAX_SAFE_INTEGER, initialBackoffMs: 200, maxBackoffMs: 10_000 },
      // The handler dead-letters invalid events itself, in the same transaction; a failure of the handler is never the record's.
      onHandlerFailure: 'hold',
      // Take each assigned partition over (fence the previous owner, let its commit finish), then resume at the committed offset.
      resume: (topic, partition) => app.get<PartitionTransactions>(RAW_TRANSACTIONS).prepare(config.ingest.INGEST_CONSUMER_GROUP, topic, partition),
    });
  },
});
