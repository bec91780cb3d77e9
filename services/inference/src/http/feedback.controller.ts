import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { EVENT_TYPES, EventType, identifier, issuesFromZodError, salesChannel, utcTimestamp } from '@storeloop/contracts';
import type { FeedbackEvent } from '../feedback/feedback-log';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import { z } from 'zod';
import type { InferenceSettings } from '../config';
import { FeedbackLog } from '../feedback/feedback-log';
import { INFERENCE_SETTINGS } from '../tokens';
import { INFERENCE_ERRORS, parseBody, parseTenant } from './params';

export const FEEDBACK_SOURCE = '/storeloop/inference/feedback';

/** One click or purchase on a served list, as a storefront reports it. */
const positiveInt = () => z.number().int().positive();

const feedbackItem = z.strictObject({
  type: z.enum(['click', 'purchase']),
  /** The tenant of this event (else the body's, else `?tenant=`, else the first of INFERENCE_TENANTS). */
  tenant: z.string().optional(),
  /** Optional idempotency key: a retried report with the same id is a duplicate consumers drop. */
  id: identifier().optional(),
  userId: identifier(),
  recommendationId: identifier(),
  sku: identifier(),
  position: positiveInt().optional(),
  quantity: positiveInt().optional(),
  orderId: identifier().optional(),
  sessionId: identifier().optional(),
  store: identifier().optional(),
  channel: salesChannel().optional(),
  /** When it happened; now when absent. */
  time: utcTimestamp().optional(),
}).refine((item) => item.type !== 'click' || item.position !== undefined, { path: ['position'], message: 'a click needs the 1-based position of the clicked item in the served list' });

// Strict: a misspelt or unknown field (`recomendationId`, `tenantId`) is a 400, not silently dropped.
const feedbackBody = z.union([feedbackItem, z.strictObject({ tenant: z.string().optional(), events: z.array(feedbackItem).min(1).max(500) })]);

type FeedbackItem = z.output<typeof feedbackItem>;

export function feedbackEvent(item: FeedbackItem, tenant: string, now = new Date()): unknown {
  const context = {
    userId: item.userId,
    ...(item.sessionId ? { sessionId: item.sessionId } : {}),
    ...(item.store ? { store: item.store } : {}),
    channel: item.channel ?? 'unknown',
  };
  const common = { specversion: '1.0', id: item.id ?? randomUUID(), source: FEEDBACK_SOURCE, time: item.time ?? now.toISOString(), tenant };
  if (item.type === 'click') {
    return { ...common, type: EventType.RecommendationClicked, data: { ...context, recommendationId: item.recommendationId, sku: item.sku, position: item.position } };
  }
  return {
    ...common,
    type: EventType.RecommendationPurchased,
    data: {
      ...context,
      recommendationId: item.recommendationId,
      sku: item.sku,
      ...(item.position !== undefined ? { position: item.position } : {}),
      quantity: item.quantity ?? 1,
      ...(item.orderId ? { orderId: item.orderId } : {}),
    },
  };
}

/**
 * Clicks and purchases on what was served (`infer` scope), written to
 * retail.feedback.v1 — the same events storefronts can also send through
 * ingestion. Answered 202 only once Kafka has them or the local spool holds
 * them on disk; 503 when neither can take them.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@RequireScope('infer')
export class FeedbackController {
  constructor(
    @Inject(INFERENCE_SETTINGS) private readonly settings: InferenceSettings,
    private readonly feedback: FeedbackLog,
  ) {}

  @Post('feedback')
  @HttpCode(202)
  async report(@Body() body: unknown, @Query('tenant') queryTenant?: unknown) {
    const parsed = parseBody(feedbackBody, body, 'expected {"type": "click"|"purchase", "userId", "recommendationId", "sku", ...} or {"events": [...]}');
    const fallback = ('events' in parsed ? parsed.tenant : undefined) ?? queryTenant;
    const items = 'events' in parsed ? parsed.events : [parsed];
    const now = new Date();
    const events = items.map((item, index) => {
      const event = feedbackEvent(item, parseTenant(item.tenant ?? fallback, this.settings), now);
      const schema = EVENT_TYPES[(event as { type: keyof typeof EVENT_TYPES }).type].schema;
      const checked = schema.safeParse(event);
      if (!checked.success) {
        throw new HttpProblem(400, INFERENCE_ERRORS.bodyInvalid, `event ${index} does not fit its contract`, { issues: issuesFromZodError(checked.error) });
      }
      return checked.data as FeedbackEvent;
    });
    try {
      const via = await this.feedback.appendDurably(events);
      return { accepted: events.length, via, ids: events.map((event) => event.id) };
    } catch (error) {
      throw new HttpProblem(503, INFERENCE_ERRORS.feedbackUnavailable, `feedback could not be stored: ${(error as Error).message}`, {}, { 'Retry-After': '5' });
    }
  }
}
