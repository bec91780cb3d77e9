import { z } from 'zod';
import { env, parseEnvGroups } from '@storeloop/observability';
import { platformConfigGroups, securityConfigSchema, type PlatformConfig, type SecuritySettings } from '@storeloop/platform';

export const DEFAULT_PORT = 3001;

/** Ingestion's own settings. Documented in the README. */
export const ingestConfigSchema = z.object({
  INGEST_MAX_EVENTS: env.int(1000, { min: 1 }),
  INGEST_MAX_BYTES: env.int(1024 * 1024, { min: 1024 }),
  INGEST_DEDUP_WINDOW_MS: env.int(24 * 60 * 60 * 1000, { min: 1000 }),
  INGEST_PRODUCE_TIMEOUT_MS: env.int(10_000, { min: 100 }),
  INGEST_RETRY_AFTER_SECONDS: env.int(5, { min: 1 }),
  INGEST_CONSUME_RAW: env.bool(true),
  INGEST_CONSUMER_GROUP: z.string().min(1).default('storeloop-ingestion'),
  INGEST_MAX_HANDLER_BATCH: env.int(1000, { min: 1 }),
  /** Raw consumer's group session: how long a crashed instance holds its partitions (and the restarted one waits to join). */
  INGEST_SESSION_TIMEOUT_MS: env.int(10_000, { min: 6_000, max: 300_000 }),
});
export type IngestSettings = z.infer<typeof ingestConfigSchema>;

export type IngestionConfig = PlatformConfig & { security: SecuritySettings; ingest: IngestSettings };

export function loadIngestionConfig(source: Record<string, string | undefined> = process.env): IngestionConfig {
  return parseEnvGroups(
    { ...platformConfigGroups, security: securityConfigSchema, ingest: ingestConfigSchema },
    { PORT: String(DEFAULT_PORT), ...source },
  );
}
