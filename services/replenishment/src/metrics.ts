import { Inject, Injectable } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, getOrCreateCounter, getOrCreateGauge, getOrCreateHistogram } from '@storeloop/observability';

/** The service's Prometheus metrics (documented in the README). */
@Injectable()
export class ReplenishmentMetrics {
  readonly activityEvents;
  readonly reviews;
  readonly reviewSeconds;
  readonly decisions;
  readonly deferred;
  readonly learnedFailures;
  readonly orders;
  readonly orderUnits;
  readonly activePairs;
  readonly trainings;
  readonly trainingSeconds;
  readonly policyVersion;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.activityEvents = getOrCreateCounter(registry, {
      name: 'replenishment_activity_events_total',
      help: 'Events of retail.events.v1 that marked a SKU x store active, by event type (other types and tenants are skipped)',
      labelNames: ['type'] as const,
    });
    this.reviews = getOrCreateCounter(registry, {
      name: 'replenishment_reviews_total',
      help: 'Review runs over every active pair, by outcome (completed, skipped: another replica held the lease, lost: the lease lapsed mid-review, failed)',
      labelNames: ['outcome'] as const,
    });
    this.reviewSeconds = getOrCreateHistogram(registry, {
      name: 'replenishment_review_duration_seconds',
      help: 'Time of one review run over every active pair',
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    });
    this.decisions = getOrCreateCounter(registry, {
      name: 'replenishment_decisions_total',
      help: 'SKU x store decisions, by trigger (schedule, demand) and acting policy (learned, classical)',
      labelNames: ['trigger', 'acting'] as const,
    });
    this.deferred = getOrCreateCounter(registry, {
      name: 'replenishment_pairs_deferred_total',
      help: 'Pair reviews put off because the feature store had not applied every event seen for the pair',
      labelNames: ['trigger'] as const,
    });
    this.learnedFailures = getOrCreateCounter(registry, {
      name: 'replenishment_learned_policy_failures_total',
      help: 'Decisions where the learned policy threw or answered nonsense and the classical order was used',
    });
    this.orders = getOrCreateCounter(registry, {
      name: 'replenishment_orders_published_total',
      help: 'Orders acknowledged by Kafka on retail.replenishment.v1, by acting policy',
      labelNames: ['policy'] as const,
    });
    this.orderUnits = getOrCreateCounter(registry, {
      name: 'replenishment_order_units_total',
      help: 'Units in the orders published, by acting policy',
      labelNames: ['policy'] as const,
    });
    this.activePairs = getOrCreateGauge(registry, {
      name: 'replenishment_active_pairs',
      help: 'SKU x store pairs in the last review (with an event within REPLENISHMENT_ACTIVE_DAYS)',
    });
    this.trainings = getOrCreateCounter(registry, {
      name: 'replenishment_training_runs_total',
      help: 'Training runs of the learned policy, by outcome (promoted, rejected: not better than the classical policy, skipped, failed)',
      labelNames: ['outcome'] as const,
    });
    this.trainingSeconds = getOrCreateHistogram(registry, {
      name: 'replenishment_training_duration_seconds',
      help: 'Wall time of one training run, evaluation included',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
    });
    this.policyVersion = getOrCreateGauge(registry, {
      name: 'replenishment_learned_policy_version',
      help: 'Version of the learned policy this instance acts with (0: none, the classical policy acts)',
    });
  }
}
