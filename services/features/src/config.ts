import { z } from 'zod';
import { env, parseEnvGroups } from '@storeloop/observability';
import { platformConfigGroups, type PlatformConfig } from '@storeloop/platform';

export const DEFAULT_PORT = 3002;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The features service's own settings. Documented in the README. */
export const featuresConfigSchema = z.object({
  /** Consumer group; also the namespace of the offsets stored in Redis and of the store marker. */
  FEATURES_CONSUMER_GROUP: z.string().min(1).default('storeloop-features'),
  /** Largest slice of a fetched batch applied at once (one Lua script per entity per slice). */
  FEATURES_MAX_BATCH: env.int(300, { min: 1 }),
  /** Partitions applied concurrently by one instance (their Redis round trips overlap). */
  FEATURES_CONCURRENCY: env.int(4, { min: 1, max: 64 }),
  /** Kafka session timeout: how long a crashed instance keeps its partitions before the group moves them. */
  FEATURES_SESSION_TIMEOUT_MS: env.int(30_000, { min: 6_000 }),
  /** Emit training examples to retail.training-examples.v1. */
  FEATURES_EMIT_EXAMPLES: env.bool(true),
  /** A click on a served item counts for the impression within this window. */
  FEATURES_CLICK_WINDOW_MS: env.int(30 * MINUTE_MS, { min: 1000 }),
  /** An order line of a served item counts for the impression within this window. */
  FEATURES_PURCHASE_WINDOW_MS: env.int(24 * HOUR_MS, { min: 1000 }),
  /** Extra event time waited before a window closes with negatives: outcomes from another topic may lag. */
  FEATURES_ATTRIBUTION_GRACE_MS: env.int(5 * MINUTE_MS, { min: 0 }),
  /**
   * Open served recommendations kept per user; past it the oldest close at once (negatives, deletion).
   * Bounds the state read for every slice of a user who is served lists faster than the windows close.
   */
  FEATURES_SERVED_MAX_OPEN_PER_USER: env.int(100, { min: 1 }),
  /**
   * After a wipe is noticed, how long the instance that starts the rebuild waits for batches other
   * instances began before the wipe to finish, before clearing what they wrote.
   */
  FEATURES_REBUILD_FENCE_MS: env.int(5_000, { min: 0 }),
});
export type FeaturesSettings = z.infer<typeof featuresConfigSchema>;

export type FeaturesConfig = PlatformConfig & { features: FeaturesSettings };

export function loadFeaturesConfig(source: Record<string, string | undefined> = process.env): FeaturesConfig {
  return parseEnvGroups({ ...platformConfigGroups, features: featuresConfigSchema }, { PORT: String(DEFAULT_PORT), ...source });
}
