import { z } from 'zod';
import { artifactStoreConfigSchema, type ArtifactStoreSettings } from '@storeloop/ml';
import { env, parseEnvGroups } from '@storeloop/observability';
import { platformConfigGroups, securityConfigSchema, type PlatformConfig, type SecuritySettings } from '@storeloop/platform';
import { dashboardConfigSchema, type DashboardSettings } from './dashboard/dashboard-settings';
import { feedbackLogSettingsSchema, type FeedbackLogSettings } from './feedback/feedback-log';
import { onlineMetricsSettingsSchema, type OnlineMetricsSettings } from './feedback/online-metrics';

export const DEFAULT_PORT = 3004;

const MAX_TIMER_MS = 2_147_483_647;
const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const list = (pattern?: RegExp) =>
  z
    .string()
    .default('')
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
    .refine((values) => !pattern || values.every((value) => pattern.test(value)), { message: `every entry must match ${pattern}` });

/**
 * The inference service's own settings, documented in the README (inference
 * section). Business rules are defaults a request cannot loosen.
 */
export const inferenceConfigSchema = z
  .object({
    /** The model served (key of retail.models.v1; TRAINING_MODEL_NAME of the training service). */
    INFERENCE_MODEL_NAME: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).default('ranker'),
    /**
     * Which version serves the challenger arm: `none`, `latest` (the newest
     * stored version that is not the champion) or an explicit version.
     */
    INFERENCE_CHALLENGER: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).default('none'),
    /** Share of users (stable hash of tenant and user id) served by the challenger, 0 to 1. */
    INFERENCE_CHALLENGER_SHARE: z.coerce.number().min(0).max(1).default(0),
    /** Salt of the A/B hash: change it to reshuffle who sees the challenger. */
    INFERENCE_AB_SALT: z.string().min(1).default('storeloop-ab-1'),
    /** How often the champion pointer in the artifact store is checked, besides the lifecycle events (a missed event heals). 0: never. */
    INFERENCE_MODEL_POLL_MS: env.int(30_000, { min: 0, max: MAX_TIMER_MS }),
    /** Tenants this instance serves (the `tenant` query parameter; the first is the default). */
    INFERENCE_TENANTS: list(TENANT).default(['default']).refine((tenants) => tenants.length > 0, 'name at least one tenant'),
    INFERENCE_DEFAULT_K: env.int(10, { min: 1, max: 500 }),
    INFERENCE_MAX_K: env.int(100, { min: 1, max: 500 }),
    /** Candidates retrieved from item embeddings per request (before the rules and the scorer). */
    INFERENCE_CANDIDATES: env.int(100, { min: 10, max: 5_000 }),
    /** Co-viewed / co-purchased neighbours taken from each of the user's last items. */
    INFERENCE_NEIGHBOUR_CANDIDATES: env.int(10, { min: 0, max: 50 }),
    /** The user's last items that anchor retrieval and neighbours. */
    INFERENCE_HISTORY_ITEMS: env.int(20, { min: 1, max: 50 }),
    /** Popular items added as candidates (and the whole answer for a cold start). */
    INFERENCE_POPULAR_CANDIDATES: env.int(30, { min: 0, max: 1_000 }),
    /** At most this many candidates go through the scorer, best retrieved first; the rest keep their retrieval order after them. */
    INFERENCE_RERANK_CANDIDATES: env.int(60, { min: 1, max: 5_000 }),
    /** Leave out items the user bought (their order lines among the last interactions the feature store keeps). */
    INFERENCE_EXCLUDE_PURCHASED: env.bool(true),
    /** Leave out items with no units at the requested store (read from Redis at answer time). */
    INFERENCE_EXCLUDE_OUT_OF_STOCK: env.bool(true),
    /**
     * With INFERENCE_EXCLUDE_OUT_OF_STOCK: an item the store has no stock record
     * for is taken as not carried there (`exclude`) or as available (`include`,
     * for stores whose stock is not reported).
     */
    INFERENCE_UNKNOWN_STOCK: z.enum(['exclude', 'include']).default('exclude'),
    /** Leave out items the catalogue marks inactive. */
    INFERENCE_EXCLUDE_INACTIVE: env.bool(true),
    /** SKUs never recommended (recalls, adult items, ...), comma-separated. */
    INFERENCE_EXCLUDED_SKUS: list(),
    /** At most this many items of one category (the full path) per answer; 0: no limit. */
    INFERENCE_MAX_PER_CATEGORY: env.int(0, { min: 0, max: 500 }),
    /** How often the item catalogue (features, popularity, neighbours, stock) is reloaded from Redis. */
    INFERENCE_CATALOG_REFRESH_MS: env.int(30_000, { min: 500, max: MAX_TIMER_MS }),
    /**
     * A feature store read on the request path (the user's view, stock at a
     * store) not answered within this is abandoned and the request answered
     * degraded (or 503 where nothing can be answered without it). Well under
     * REDIS_COMMAND_TIMEOUT_MS: ioredis would hold a command that long.
     */
    INFERENCE_REDIS_DEADLINE_MS: env.int(1000, { min: 5, max: 60_000 }),
    /** After a failed or late read, requests skip the feature store for this long before one tries again; 0: every request tries. */
    INFERENCE_REDIS_RETRY_MS: env.int(1_000, { min: 0, max: 600_000 }),
    /** Requests answered per `POST /v1/recommendations:batch`. */
    INFERENCE_BATCH_MAX_USERS: env.int(100, { min: 1, max: 1_000 }),
    /** Users per `POST /v1/propensity`; without `sku` each costs a full answer (~3 ms of CPU on the event loop). */
    INFERENCE_PROPENSITY_MAX_USERS: env.int(100, { min: 1, max: 10_000 }),
    /** Consumer group prefix of the lifecycle reader; each instance adds its own id (every instance reads every event). */
    INFERENCE_MODELS_GROUP: z.string().min(1).default('inference-models'),
  })
  .superRefine((c, ctx) => {
    if (c.INFERENCE_DEFAULT_K > c.INFERENCE_MAX_K) ctx.addIssue({ code: 'custom', path: ['INFERENCE_DEFAULT_K'], message: 'must not exceed INFERENCE_MAX_K' });
    if (c.INFERENCE_CHALLENGER_SHARE > 0 && c.INFERENCE_CHALLENGER === 'none') {
      ctx.addIssue({ code: 'custom', path: ['INFERENCE_CHALLENGER'], message: 'INFERENCE_CHALLENGER_SHARE > 0 needs a challenger: `latest` or a version' });
    }
  });

export type InferenceSettings = z.infer<typeof inferenceConfigSchema>;

export type InferenceConfig = PlatformConfig & {
  security: SecuritySettings;
  inference: InferenceSettings;
  artifacts: ArtifactStoreSettings;
  feedback: FeedbackLogSettings;
  online: OnlineMetricsSettings;
  dashboard: DashboardSettings;
};

export function loadInferenceConfig(source: Record<string, string | undefined> = process.env): InferenceConfig {
  return parseEnvGroups(
    {
      ...platformConfigGroups,
      security: securityConfigSchema,
      inference: inferenceConfigSchema,
      artifacts: artifactStoreConfigSchema,
      feedback: feedbackLogSettingsSchema,
      online: onlineMetricsSettingsSchema,
      dashboard: dashboardConfigSchema,
    },
    { PORT: String(DEFAULT_PORT), ...source },
  );
}
