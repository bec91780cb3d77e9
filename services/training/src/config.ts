import { z } from 'zod';
import { artifactStoreConfigSchema, type ArtifactStoreSettings } from '@storeloop/ml';
import { env, parseEnvGroups } from '@storeloop/observability';
import { platformConfigGroups, securityConfigSchema, type PlatformConfig, type SecuritySettings } from '@storeloop/platform';

export const DEFAULT_PORT = 3003;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Node's timers overflow above 2^31-1 ms (about 24.8 days) and then fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

const fraction = (def: number, min: number, max: number) => z.coerce.number().min(min).max(max).default(def);

/** The training service's own settings. Documented in the README (training section). */
export const trainingConfigSchema = z.object({
  /** Name the scoring model is versioned and announced under (key of retail.models.v1). */
  TRAINING_MODEL_NAME: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).default('ranker'),
  TRAINING_CONSUMER_GROUP: z.string().min(1).default('storeloop-training'),
  /** Directory of the window journal (examples kept across restarts). Mount a volume here. */
  TRAINING_STATE_DIR: z.string().min(1).default('.local/training'),
  /** Examples older than this (by event time, against the newest example) leave the window. */
  TRAINING_WINDOW_MS: env.int(14 * DAY_MS, { min: MINUTE_MS }),
  /** Upper bound on the window; the oldest examples leave first. */
  TRAINING_WINDOW_MAX_EXAMPLES: env.int(200_000, { min: 100 }),
  /** No training below this many examples in the window. */
  TRAINING_MIN_EXAMPLES: env.int(500, { min: 20 }),
  /** Newest share of the window held out for evaluation; never trained on. */
  TRAINING_HOLDOUT_FRACTION: fraction(0.2, 0.05, 0.5),
  /** Newest share of the rest used for early stopping and calibration. */
  TRAINING_VALIDATION_FRACTION: fraction(0.15, 0.05, 0.5),
  /** Retrain every this many ms; 0 turns the schedule off. */
  TRAINING_TRIGGER_INTERVAL_MS: env.int(6 * HOUR_MS, { min: 0 }),
  /** Retrain once this many new examples arrived since the last run; 0 turns it off. */
  TRAINING_TRIGGER_NEW_EXAMPLES: env.int(10_000, { min: 0 }),
  /** Retrain when the champion's log loss on newly arrived examples drifts (see TRAINING_DRIFT_*). */
  TRAINING_TRIGGER_DRIFT: env.bool(true),
  /** Drift: the champion's rolling log loss exceeds its holdout log loss by this share (0.25 = 25 % worse). */
  TRAINING_DRIFT_TOLERANCE: fraction(0.25, 0.01, 10),
  /** Drift is judged on at least this many new examples, and on at most the last this-many × 4. */
  TRAINING_DRIFT_MIN_EXAMPLES: env.int(500, { min: 20 }),
  /**
   * How often the triggers are checked (they are also checked after every consumed batch).
   * A failed run is retried after this, doubling per failure up to an hour.
   */
  TRAINING_CHECK_INTERVAL_MS: env.int(5_000, { min: 100, max: MAX_TIMER_MS }),
  /** Holdout metric that decides promotion. */
  TRAINING_PROMOTION_METRIC: z.enum(['logLoss', 'auc']).default('logLoss'),
  /** A challenger must beat the champion by at least this much (absolute) on the promotion metric. */
  TRAINING_PROMOTION_MARGIN: fraction(0.005, 0, 1),
  TRAINING_MAX_EPOCHS: env.int(50, { min: 1, max: 1000 }),
  TRAINING_BATCH_SIZE: env.int(256, { min: 1 }),
  TRAINING_LEARNING_RATE: z.coerce.number().positive().max(1).default(0.001),
  /** Early stopping patience, in epochs without a better validation loss. */
  TRAINING_PATIENCE: env.int(6, { min: 1 }),
  TRAINING_SEED: env.int(42, { min: 0 }),
  /** Labels at or above this count as positive. */
  TRAINING_POSITIVE_LABEL_THRESHOLD: z.coerce.number().default(0.5),
  /** Size of the item embeddings (ELSA) stored with each model; 0 turns them off. */
  TRAINING_EMBEDDING_FACTORS: env.int(32, { min: 0, max: 1024 }),
  TRAINING_EMBEDDING_EPOCHS: env.int(10, { min: 1, max: 500 }),
  /** Consumer segments written to Redis after each run (k of k-means); 0 turns segments off. */
  TRAINING_SEGMENTS: env.int(4, { min: 0, max: 32 }),
  /** Commit the service was built from, stored with each model. */
  GIT_REVISION: z.string().min(1).optional(),
});
export type TrainingSettings = z.infer<typeof trainingConfigSchema>;

export type TrainingConfig = PlatformConfig & { security: SecuritySettings; training: TrainingSettings; artifacts: ArtifactStoreSettings };

export function loadTrainingConfig(source: Record<string, string | undefined> = process.env): TrainingConfig {
  return parseEnvGroups(
    { ...platformConfigGroups, security: securityConfigSchema, training: trainingConfigSchema, artifacts: artifactStoreConfigSchema },
    { PORT: String(DEFAULT_PORT), ...source },
  );
}
