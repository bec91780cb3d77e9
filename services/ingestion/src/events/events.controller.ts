import { Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { StoreloopError } from '@storeloop/observability';
import { ApiKeyGuard, HttpProblem, RequireScope, type AuthenticatedRequest } from '@storeloop/platform';
import type { IngestSettings } from '../config';
import { IngestMetrics } from '../intake/ingest-metrics';
import { IngestPipeline, type HttpIntakeResult } from '../intake/ingest-pipeline';
import { INGEST_SETTINGS } from '../intake/tokens';
import { batchFormat, parseBatch, readBody } from './request-body';

function plainHeaders(request: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) out[name] = Array.isArray(value) ? value[0] : value;
  return out;
}

/**
 * POST /v1/events: a JSON array or NDJSON batch. 202 only after Kafka
 * acknowledged every accepted event (acks=all); 503 with Retry-After when it
 * cannot, and then nothing was acknowledged to the client.
 */
@Controller('v1/events')
@UseGuards(ApiKeyGuard)
@RequireScope('ingest')
export class EventsController {
  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly metrics: IngestMetrics,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
  ) {}

  @Post()
  @HttpCode(202)
  async ingest(@Req() request: AuthenticatedRequest): Promise<HttpIntakeResult> {
    const end = this.metrics.requestDuration.startTimer();
    this.metrics.inFlight.inc();
    let status = 202;
    try {
      const format = batchFormat(request.headers['content-type']);
      const body = await readBody(request, this.settings.INGEST_MAX_BYTES);
      const { items, lineErrors } = parseBatch(body, format, this.settings.INGEST_MAX_EVENTS);
      try {
        return await this.pipeline.acceptHttpBatch(items, lineErrors, plainHeaders(request), request.apiKey?.id ?? 'unknown');
      } catch (error) {
        // Only Kafka's failures (retriable by nature) are 503s; anything else is a bug and answers 500.
        if (!(error instanceof StoreloopError) || !error.retriable) throw error;
        // The client must retry; duplicates from a late write are deduplicated.
        const seconds = this.settings.INGEST_RETRY_AFTER_SECONDS;
        throw new HttpProblem(
          503,
          'INGEST.KAFKA_UNAVAILABLE',
          `Kafka did not acknowledge the batch (${error.code}); retry it: events that were written meanwhile are deduplicated`,
          { retryAfterSeconds: seconds },
          { 'Retry-After': String(seconds) },
        );
      }
    } catch (error) {
      status = error instanceof HttpProblem ? error.getStatus() : 500;
      throw error;
    } finally {
      this.metrics.inFlight.dec();
      end({ status: String(status) });
    }
  }
}
