import { EventType, type StoreloopEvent, type TrainingExample, type TrainingExampleKind } from '@storeloop/contracts';
import { exampleFeatures, snapshotItem, snapshotUser, type FeatureSnapshot } from './feature-snapshot';

/** One consumed event; `SourcedEvent` of the feature store fits (topic, partition and offset are not needed here). */
export interface SliceEvent {
  event: StoreloopEvent;
}

interface Interaction {
  kind: TrainingExampleKind;
  sku: string;
  /** Distinguishes examples of one event with the same kind and SKU (order lines). */
  idSuffix?: string;
  recommendationId?: string;
  position?: number;
}

/** The item interactions of an event; none for events that are not one. */
function interactionsOf(event: StoreloopEvent): Interaction[] {
  switch (event.type) {
    case EventType.ProductViewed:
      return [{ kind: 'view', sku: event.data.sku }];
    case EventType.CartItemAdded:
      return [{ kind: 'cart', sku: event.data.sku }];
    case EventType.ProductFavorited:
      return [{ kind: 'favorite', sku: event.data.sku }];
    case EventType.OrderPlaced:
      return event.data.items.map((line, index) => ({ kind: 'order', sku: line.sku, idSuffix: `:${index}` }));
    case EventType.RecommendationClicked:
      return [{ kind: 'click', sku: event.data.sku, recommendationId: event.data.recommendationId, position: event.data.position }];
    default:
      return [];
  }
}

/**
 * One positive example (label 1) per item interaction of a slice: a view,
 * cart add, favourite, order line or recommendation click. The kind tells
 * them apart: recommendation training takes every kind as an implicit
 * positive; a purchase-propensity model contrasts `order` with `view`.
 *
 * Features come from `snapshot`, read before the slice was applied, so no
 * example sees its own event or a later one of its partition. `featureTime`
 * is the snapshot's time, or the event's own if that is earlier (a snapshot
 * read at the slice's earliest event never is). `exampleId` is
 * `<event id>:<kind>:<sku>` (order lines add `:<line index>`), the same on
 * every redelivery, so the topic's consumers deduplicate on it.
 *
 * The caller leaves out events of erased users.
 */
export function buildInteractionExamples(events: readonly SliceEvent[], snapshot: FeatureSnapshot): TrainingExample[] {
  return events.flatMap(({ event }) => {
    const interactions = interactionsOf(event);
    if (interactions.length === 0 || !('userId' in event.data)) return [];
    const { userId } = event.data;
    const user = snapshotUser(snapshot, event.tenant, userId);
    const featureTime = new Date(Math.min(snapshot.asOfMs, Date.parse(event.time))).toISOString();
    return interactions.map(({ kind, sku, idSuffix = '', recommendationId, position }): TrainingExample => ({
      exampleId: `${event.id}:${kind}:${sku}${idSuffix}`,
      userId,
      sku,
      label: 1,
      eventTime: event.time,
      featureTime,
      ...exampleFeatures(user, snapshotItem(snapshot, event.tenant, sku)),
      kind,
      tenant: event.tenant,
      sourceEventId: event.id,
      ...(recommendationId === undefined ? {} : { recommendationId, position }),
    }));
  });
}
