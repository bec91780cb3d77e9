import { z } from 'zod';
import { SALES_DAYS } from '@storeloop/feature-store';
import { artifactStoreConfigSchema, type ArtifactStoreSettings } from '@storeloop/ml';
import { env, parseEnvGroups } from '@storeloop/observability';
import { platformConfigGroups, securityConfigSchema, type PlatformConfig, type SecuritySettings } from '@storeloop/platform';

export const DEFAULT_PORT = 3005;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** Node's timers fire at once (with a warning) for a delay above 2^31 - 1 ms, so every ms setting that reaches one stays below. */
export const MAX_TIMER_MS = 2_147_483_647;
/** Slack of a training run past its budget before its worker is stopped (runTrainingJob's grace). */
export const TRAINING_GRACE_MS = 60_000;
/** Days order records are kept beyond the lead time, so the pipeline and the period's idempotency always find them. */
export const ORDER_RETENTION_MARGIN_DAYS = 7;

/** A probability strictly between 0 and 1 (a service level). */
const probability = () =>
  z.coerce
    .number()
    .gt(0, 'must be above 0')
    .lt(1, 'must be below 1');

/** A non-negative cost per unit (decimal allowed). */
const unitCost = (def: number) => z.coerce.number().nonnegative().default(def);

/** The replenishment service's own settings. Documented in the README. */
export const replenishmentConfigSchema = z
  .object({
    /** Consumer group on retail.events.v1; only tracks which SKU x store pairs are active. */
    REPLENISHMENT_CONSUMER_GROUP: z.string().min(1).default('storeloop-replenishment'),
    /**
     * The features service's consumer group (its FEATURES_CONSUMER_GROUP): a pair is decided only once the
     * feature store has applied, by that group's offsets in Redis, every event this service saw for the pair.
     */
    REPLENISHMENT_FEATURES_CONSUMER_GROUP: z.string().min(1).default('storeloop-features'),
    /** The tenant whose SKU x store pairs this deployment replenishes; events of other tenants are skipped. */
    REPLENISHMENT_TENANT: z.string().min(1).default('default'),
    /** UTC time of day of the daily review, HH:MM. */
    REPLENISHMENT_REVIEW_TIME_UTC: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (UTC, 24 h)')
      .default('06:00'),
    /** When above 0, a review runs every this many ms instead of daily (tests, demos); periods stay UTC days. */
    REPLENISHMENT_REVIEW_INTERVAL_MS: env.int(0, { min: 0, max: MAX_TIMER_MS }),
    /** Days between placing an order and receiving it. */
    REPLENISHMENT_LEAD_TIME_DAYS: env.int(2, { min: 0, max: 60 }),
    /** Cost of holding one unit for one day (relative units; the penalty is in the same units). */
    REPLENISHMENT_HOLDING_COST: unitCost(1),
    /** Cost of one unit of demand lost to a stock-out. */
    REPLENISHMENT_PENALTY_COST: unitCost(19),
    /** Target cycle service level of the classical policy; default: the critical ratio penalty / (penalty + holding). */
    REPLENISHMENT_SERVICE_LEVEL: probability().optional(),
    /** Completed days of sales the demand forecast (rolling mean and deviation) is computed over. */
    REPLENISHMENT_FORECAST_WINDOW_DAYS: env.int(28, { min: 1, max: 365 }),
    /** A SKU x store pair without any order or stock event for this many days leaves the review. */
    REPLENISHMENT_ACTIVE_DAYS: env.int(60, { min: 1 }),
    /** Pairs whose views are read and decided together (one Redis round trip per slice). */
    REPLENISHMENT_REVIEW_BATCH: env.int(500, { min: 1, max: 10_000 }),
    /** Every this many ms the learned policy is retrained from the demand history; 0 turns retraining off. */
    REPLENISHMENT_RETRAIN_INTERVAL_MS: env.int(DAY_MS, { min: 0, max: 20 * DAY_MS }),
    /** Upper bound of one training run (wall clock); training stops there and keeps what it has. */
    REPLENISHMENT_TRAIN_BUDGET_MS: env.int(15 * MINUTE_MS, { min: 1_000, max: MAX_TIMER_MS - TRAINING_GRACE_MS }),
    /** Demand series used by one training run (the most recently active pairs with enough history). */
    REPLENISHMENT_TRAIN_MAX_SERIES: env.int(200, { min: 1 }),
    /** Completed days of sales a pair needs, besides the held-out days, to take part in training. */
    REPLENISHMENT_TRAIN_MIN_DAYS: env.int(60, { min: 40 }),
    /** The last days of every series, held out of training; promotion is decided on the costs over them. */
    REPLENISHMENT_TRAIN_TEST_DAYS: env.int(28, { min: 7 }),
    /** Learning algorithm: `api` (approximate policy iteration from rollouts on the histories) or `ppo`. */
    REPLENISHMENT_TRAIN_ALGORITHM: z.enum(['api', 'ppo']).default('api'),
    /** API: rollout states sampled from the histories. */
    REPLENISHMENT_TRAIN_STATES: env.int(20_000, { min: 100 }),
    /** API: epochs fitting the network to the rollout regrets. */
    REPLENISHMENT_TRAIN_EPOCHS: env.int(100, { min: 1 }),
    /** PPO: iterations of one training run. */
    REPLENISHMENT_TRAIN_ITERATIONS: env.int(15, { min: 1 }),
    /** Seed of training and evaluation, so a retrain on the same history gives the same policy. */
    REPLENISHMENT_TRAIN_SEED: env.int(7, { min: 0 }),
    /** Model name of the learned policy in the artifact store (ARTIFACT_STORE, ARTIFACT_DIR...). */
    REPLENISHMENT_MODEL_NAME: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-"')
      .default('replenishment-policy'),
    /** Commit the service was built from, stored with each artifact. */
    GIT_REVISION: z.string().min(1).optional(),
    /** How long per-period order records are kept in Redis (idempotency and the pipeline of recent orders). */
    REPLENISHMENT_ORDER_RETENTION_DAYS: env.int(90, { min: 7 }),
  })
  .superRefine((settings, ctx) => {
    if (settings.REPLENISHMENT_SERVICE_LEVEL === undefined && !(settings.REPLENISHMENT_PENALTY_COST > 0 && settings.REPLENISHMENT_HOLDING_COST > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPLENISHMENT_PENALTY_COST'],
        message: 'with REPLENISHMENT_SERVICE_LEVEL unset, penalty and holding cost must both be positive (the level is their critical ratio)',
      });
    }
    const leadTime = settings.REPLENISHMENT_LEAD_TIME_DAYS;
    if (settings.REPLENISHMENT_ORDER_RETENTION_DAYS < leadTime + ORDER_RETENTION_MARGIN_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPLENISHMENT_ORDER_RETENTION_DAYS'],
        message: `must be at least REPLENISHMENT_LEAD_TIME_DAYS + ${ORDER_RETENTION_MARGIN_DAYS} (${leadTime + ORDER_RETENTION_MARGIN_DAYS}): orders still in the pipeline must not be forgotten`,
      });
    }
    // The feature store keeps SALES_DAYS daily buckets, the last one today so far: SALES_DAYS - 1 completed days.
    const historyDays = settings.REPLENISHMENT_TRAIN_MIN_DAYS + settings.REPLENISHMENT_TRAIN_TEST_DAYS;
    if (historyDays > SALES_DAYS - 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPLENISHMENT_TRAIN_MIN_DAYS'],
        message: `REPLENISHMENT_TRAIN_MIN_DAYS + REPLENISHMENT_TRAIN_TEST_DAYS (${historyDays}) must be at most ${SALES_DAYS - 1}, the completed days of sales the feature store keeps; no pair could ever train`,
      });
    }
  });
export type ReplenishmentSettings = z.infer<typeof replenishmentConfigSchema>;

export type ReplenishmentConfig = PlatformConfig & { security: SecuritySettings; artifacts: ArtifactStoreSettings; replenishment: ReplenishmentSettings };

/** The classical policy's target service level: configured, or the newsvendor critical ratio p / (p + h). */
export function serviceLevelOf(settings: ReplenishmentSettings): number {
  return settings.REPLENISHMENT_SERVICE_LEVEL ?? settings.REPLENISHMENT_PENALTY_COST / (settings.REPLENISHMENT_PENALTY_COST + settings.REPLENISHMENT_HOLDING_COST);
}

export function loadReplenishmentConfig(source: Record<string, string | undefined> = process.env): ReplenishmentConfig {
  return parseEnvGroups(
    { ...platformConfigGroups, security: securityConfigSchema, artifacts: artifactStoreConfigSchema, replenishment: replenishmentConfigSchema },
    { PORT: String(DEFAULT_PORT), ...source },
  );
}
