import type { Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateGauge, getOrCreateHistogram } from '@storeloop/observability';

/** Prometheus series of the training service; names and labels are documented in the README. */
export function trainingMetrics(registry: Registry) {
  return {
    backend: getOrCreateGauge(registry, {
      name: 'training_backend_info',
      help: 'TF.js backend the service trains on (value 1)',
      labelNames: ['backend', 'accelerator', 'package'] as const,
    }),
    consumed: getOrCreateCounter(registry, {
      name: 'training_examples_consumed_total',
      help: 'Training examples consumed, by outcome (stored, duplicate)',
      labelNames: ['outcome'] as const,
    }),
    windowExamples: getOrCreateGauge(registry, { name: 'training_window_examples', help: 'Examples in the training window' }),
    newExamples: getOrCreateGauge(registry, { name: 'training_new_examples', help: 'Examples stored since the last training run' }),
    runs: getOrCreateCounter(registry, {
      name: 'training_runs_total',
      help: 'Training runs by trigger reason and outcome (promoted, rejected, failed)',
      labelNames: ['model', 'reason', 'outcome'] as const,
    }),
    runSeconds: getOrCreateHistogram(registry, {
      name: 'training_run_duration_seconds',
      help: 'Wall time of a training run, from window snapshot to lifecycle events',
      labelNames: ['model'] as const,
      buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
    }),
    running: getOrCreateGauge(registry, { name: 'training_in_progress', help: '1 while a training run is in progress', labelNames: ['model'] as const }),
    epoch: getOrCreateGauge(registry, { name: 'training_epoch', help: 'Epoch of the run in progress (last run when idle)', labelNames: ['model'] as const }),
    epochs: getOrCreateCounter(registry, { name: 'training_epochs_total', help: 'Epochs trained', labelNames: ['model'] as const }),
    loss: getOrCreateGauge(registry, { name: 'training_loss', help: 'Training loss of the last epoch', labelNames: ['model'] as const }),
    validationLoss: getOrCreateGauge(registry, {
      name: 'training_validation_loss',
      help: 'Validation log loss of the last epoch (early-stopping set, not the holdout)',
      labelNames: ['model'] as const,
    }),
    holdout: getOrCreateGauge(registry, {
      name: 'training_holdout_metric',
      help: 'Holdout metrics of the last run: the challenger, the champion and the base-rate predictor on the same holdout',
      labelNames: ['model', 'role', 'metric'] as const,
    }),
    champion: getOrCreateGauge(registry, {
      name: 'training_champion_info',
      help: 'The champion version in force (value 1)',
      labelNames: ['model', 'version'] as const,
    }),
    onlineLogLoss: getOrCreateGauge(registry, {
      name: 'training_champion_online_log_loss',
      help: "The champion's rolling log loss on examples that arrived after it was chosen or after the last completed run (drift trigger input)",
      labelNames: ['model'] as const,
    }),
    lifecycleEvents: getOrCreateCounter(registry, {
      name: 'training_lifecycle_events_total',
      help: 'Lifecycle events published on retail.models.v1, by stage',
      labelNames: ['model', 'stage'] as const,
    }),
    segmentUsers: getOrCreateCounter(registry, {
      name: 'training_segment_users_written_total',
      help: 'Users whose segment was written to the feature store',
    }),
  };
}

export type TrainingMetrics = ReturnType<typeof trainingMetrics>;
