import { Inject, Injectable } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, getOrCreateCounter, getOrCreateGauge, getOrCreateHistogram } from '@storeloop/observability';
import { isEventTypeName } from '@storeloop/contracts';

export type IngestSource = 'http' | 'kafka';

/** Ingestion's counters: what came in, by outcome, event type, source and rejection code. */
@Injectable()
export class IngestMetrics {
  readonly events;
  readonly requestDuration;
  readonly produceDuration;
  readonly inFlight;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.events = getOrCreateCounter(registry, {
      name: 'ingest_events_total',
      help: 'Events by outcome (accepted, rejected, duplicate), event type, source (http, kafka) and error code',
      labelNames: ['outcome', 'type', 'source', 'code'] as const,
    });
    this.requestDuration = getOrCreateHistogram(registry, {
      name: 'ingest_request_duration_seconds',
      help: 'POST /v1/events from first byte to answer, by status',
      labelNames: ['status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    });
    this.produceDuration = getOrCreateHistogram(registry, {
      name: 'ingest_produce_duration_seconds',
      help: 'Time for Kafka to acknowledge (acks=all) or commit a transaction, by source',
      labelNames: ['source'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    });
    this.inFlight = getOrCreateGauge(registry, {
      name: 'ingest_requests_in_flight',
      help: 'POST /v1/events requests being handled',
    });
  }

  count(outcome: 'accepted' | 'rejected' | 'duplicate', type: string, source: IngestSource, code = '', n = 1): void {
    this.events.inc({ outcome, type, source, code }, n);
  }
}

/** Event type label: known types as they are, anything else folded so label cardinality stays bounded. */
export function typeLabel(input: unknown): string {
  const type = input !== null && typeof input === 'object' ? (input as { type?: unknown }).type : undefined;
  return typeof type === 'string' && isEventTypeName(type) ? type : 'unknown';
}
