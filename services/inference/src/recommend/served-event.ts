import { EventType, type EventOfType } from '@storeloop/contracts';
import type { Recommendation } from './engine';

export const INFERENCE_SOURCE = '/storeloop/inference';

export type ServedEvent = EventOfType<typeof EventType.RecommendationServed>;

/**
 * The impression of an answer on retail.feedback.v1. Built directly (not
 * parsed) because it is on every request's path; a unit test holds it to the
 * contract. The event id is the recommendation id: a resend is a duplicate
 * consumers drop. Only for answers with a user.
 */
export function servedEvent(recommendation: Recommendation, options: { contextSku?: string; channel?: ServedEvent['data']['channel']; now?: Date } = {}): ServedEvent {
  return {
    specversion: '1.0',
    id: recommendation.recommendationId,
    source: INFERENCE_SOURCE,
    type: EventType.RecommendationServed,
    time: (options.now ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    tenant: recommendation.tenant,
    data: {
      userId: recommendation.userId!,
      channel: options.channel ?? 'unknown',
      ...(recommendation.store ? { store: recommendation.store } : {}),
      recommendationId: recommendation.recommendationId,
      modelName: recommendation.modelName,
      modelVersion: recommendation.modelVersion,
      surface: recommendation.surface,
      ...(options.contextSku ? { contextSku: options.contextSku } : {}),
      ...(recommendation.degraded ? { degraded: true } : {}),
      items: recommendation.items.map((item) => ({ sku: item.sku, position: item.position, score: item.score })),
    },
  } as ServedEvent;
}
