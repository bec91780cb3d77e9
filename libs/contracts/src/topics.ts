import { z } from 'zod';
import { EventType, EVENT_TYPE_NAMES, EVENT_TYPES, type EventOfType, type EventInputOfType, type EventTypeName } from './event-types';
import { deadLetterRecordSchema } from './payloads/dead-letter-record';
import { modelLifecycleEventSchema } from './payloads/model-lifecycle-event';
import { replenishmentOrderSchema } from './payloads/replenishment-order';
import { trainingExampleSchema } from './payloads/training-example';

/** Storeloop's own services, and the outside parties that produce or consume its topics. */
export const SERVICES = ['ingestion', 'features', 'training', 'inference', 'replenishment'] as const;
export type ServiceName = (typeof SERVICES)[number];
export const EXTERNAL_PARTIES = ['company-systems', 'erp', 'operators', 'dashboard'] as const;
export type TopicParty = ServiceName | (typeof EXTERNAL_PARTIES)[number];

const DAY_MS = 24 * 60 * 60 * 1000;
/** Kafka's "keep forever". */
export const RETENTION_FOREVER = -1;

/**
 * A union schema over some event types, typed as exactly those events, so a
 * topic's payload type follows from its list of event types.
 */
function eventsSchema<const T extends readonly EventTypeName[]>(types: T) {
  const schemas = types.map((type) => EVENT_TYPES[type].schema);
  // zod wants a non-empty tuple; the lists below are literal and non-empty.
  const union = z.discriminatedUnion('type', schemas as unknown as [(typeof schemas)[number], ...(typeof schemas)[number][]]);
  return union as unknown as z.ZodType<EventOfType<T[number]>, EventInputOfType<T[number]>>;
}

const CUSTOMER_EVENTS = [
  EventType.ProductViewed,
  EventType.CartItemAdded,
  EventType.CartItemRemoved,
  EventType.OrderPlaced,
  EventType.SearchPerformed,
  EventType.ProductFavorited,
  EventType.CatalogItemUpserted,
  EventType.InventorySnapshotTaken,
  EventType.GoodsReceived,
] as const;
const FEEDBACK_EVENTS = [EventType.RecommendationServed, EventType.RecommendationClicked, EventType.RecommendationPurchased] as const;
const PRIVACY_EVENTS = [EventType.UserErasureRequested] as const;

interface TopicDefinition {
  name: string;
  /** What the Kafka key holds. */
  key: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  retentionMs: number;
  /** Topic-level max.message.bytes where records can exceed the broker's 1 MiB default. */
  maxMessageBytes?: number;
  /** Production hints; tests and single-broker setups use 1 and 1. */
  replicationFactor: number;
  minInSyncReplicas: number;
  producers: readonly TopicParty[];
  consumers: readonly TopicParty[];
  payload: string;
  schema: z.ZodType;
  /** Event types this topic carries, for CloudEvents topics. */
  eventTypes?: readonly EventTypeName[];
}

const production = { replicationFactor: 3, minInSyncReplicas: 2 } as const;

/** Every topic. No service writes a topic name inline: use `TOPICS.<id>.name`. */
export const TOPICS = {
  rawEvents: {
    name: 'retail.events.raw.v1',
    key: "Producer's choice (often null); ingestion re-keys on the way out",
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    ...production,
    producers: ['company-systems'],
    consumers: ['ingestion'],
    payload: 'A CloudEvents 1.0 structured JSON event of any Storeloop type, not yet validated',
    schema: eventsSchema(EVENT_TYPE_NAMES),
    eventTypes: EVENT_TYPE_NAMES,
  },
  events: {
    name: 'retail.events.v1',
    key: 'userId for shopper events, sku:store for stock events, sku for catalogue changes',
    partitions: 6,
    cleanupPolicy: 'delete',
    // Long enough to rebuild the feature store by replay after a bad deploy.
    retentionMs: 30 * DAY_MS,
    ...production,
    producers: ['ingestion'],
    consumers: ['features', 'replenishment'],
    payload: 'Validated, normalised CloudEvents: shopper behaviour, orders, catalogue and stock',
    schema: eventsSchema(CUSTOMER_EVENTS),
    eventTypes: CUSTOMER_EVENTS,
  },
  deadLetters: {
    name: 'retail.events.dlq.v1',
    key: 'The original record key, unchanged',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 14 * DAY_MS,
    // A dead letter holds a record of up to 1 MiB in base64, plus its headers and reason.
    maxMessageBytes: 4 * 1024 * 1024,
    ...production,
    producers: ['ingestion', 'features', 'training', 'inference', 'replenishment'],
    consumers: ['operators'],
    payload: 'A rejected record: original bytes in base64, error code, reason, source coordinates',
    schema: deadLetterRecordSchema,
  },
  feedback: {
    name: 'retail.feedback.v1',
    key: 'userId',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    ...production,
    producers: ['inference', 'ingestion'],
    // inference: online metrics per model version.
    consumers: ['features', 'training', 'inference'],
    payload: 'Recommendation impressions (served) and their outcomes (clicked, purchased), as CloudEvents',
    schema: eventsSchema(FEEDBACK_EVENTS),
    eventTypes: FEEDBACK_EVENTS,
  },
  trainingExamples: {
    name: 'retail.training-examples.v1',
    key: 'userId',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 14 * DAY_MS,
    ...production,
    producers: ['features'],
    consumers: ['training'],
    payload: 'Point-in-time-correct labelled examples with user and item features',
    schema: trainingExampleSchema,
  },
  models: {
    name: 'retail.models.v1',
    key: 'modelName',
    // One partition: every consumer sees lifecycle events of all models in one order.
    partitions: 1,
    cleanupPolicy: 'compact',
    retentionMs: RETENTION_FOREVER,
    ...production,
    producers: ['training'],
    consumers: ['inference', 'dashboard'],
    payload: 'Model lifecycle events: trained, evaluated, promoted, rejected, rolled back',
    schema: modelLifecycleEventSchema,
  },
  replenishment: {
    name: 'retail.replenishment.v1',
    key: 'sku:store',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    ...production,
    producers: ['replenishment'],
    consumers: ['erp'],
    payload: 'Replenishment orders per SKU and store, with the policy that chose them',
    schema: replenishmentOrderSchema,
  },
  privacy: {
    name: 'retail.privacy.v1',
    key: 'userId',
    partitions: 6,
    cleanupPolicy: 'delete',
    // Erasure must reach every consumer, including one that was down for weeks.
    retentionMs: 90 * DAY_MS,
    ...production,
    producers: ['ingestion'],
    consumers: ['features', 'training', 'inference'],
    payload: 'User erasure requests, as CloudEvents',
    schema: eventsSchema(PRIVACY_EVENTS),
    eventTypes: PRIVACY_EVENTS,
  },
} as const satisfies Record<string, TopicDefinition>;

type Topics = typeof TOPICS;
export type TopicId = keyof Topics;
export type TopicName = Topics[TopicId]['name'];
type TopicWithName<N extends TopicName> = Extract<Topics[TopicId], { name: N }>;

/**
 * What a producer sends to each topic, for a type-checked
 * `send<T extends TopicName>(topic: T, value: TopicPayloads[T])`.
 * The raw topic takes events as company systems write them; every other
 * topic carries the normalised (parsed) form.
 */
export type TopicPayloads = {
  [N in TopicName]: N extends Topics['rawEvents']['name'] ? z.input<TopicWithName<N>['schema']> : z.output<TopicWithName<N>['schema']>;
};

/** What `parseTopicPayload` returns for each topic: always the normalised form. */
export type ParsedTopicPayloads = { [N in TopicName]: z.output<TopicWithName<N>['schema']> };

/** Event types carried by a CloudEvents topic. */
export type EventTypesOnTopic<N extends TopicName> = TopicWithName<N> extends { eventTypes: readonly (infer E)[] } ? E : never;

export const TOPIC_IDS: readonly TopicId[] = Object.keys(TOPICS) as TopicId[];
export const TOPIC_NAMES: readonly TopicName[] = TOPIC_IDS.map((id) => TOPICS[id].name);

export function isTopicName(name: string): name is TopicName {
  return (TOPIC_NAMES as readonly string[]).includes(name);
}

export function topicByName<N extends TopicName>(name: N): TopicWithName<N> {
  const topic = TOPIC_IDS.map((id) => TOPICS[id]).find((candidate) => candidate.name === name);
  if (!topic) throw new Error(`unknown topic ${name}`);
  return topic as TopicWithName<N>;
}

/** The validated topic an event type is published to (never the raw topic). */
export function topicForEventType(type: EventTypeName): TopicName {
  const topic = TOPIC_IDS.filter((id) => id !== 'rawEvents')
    .map((id) => TOPICS[id])
    .find((candidate) => 'eventTypes' in candidate && (candidate.eventTypes as readonly string[]).includes(type));
  if (!topic) throw new Error(`event type ${type} is routed to no topic`);
  return topic.name;
}
