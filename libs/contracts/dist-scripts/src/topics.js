"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TOPIC_NAMES = exports.TOPIC_IDS = exports.TOPICS = exports.RETENTION_FOREVER = exports.EXTERNAL_PARTIES = exports.SERVICES = void 0;
exports.isTopicName = isTopicName;
exports.topicByName = topicByName;
exports.topicForEventType = topicForEventType;
const zod_1 = require("zod");
const event_types_1 = require("./event-types");
const dead_letter_record_1 = require("./payloads/dead-letter-record");
const model_lifecycle_event_1 = require("./payloads/model-lifecycle-event");
const replenishment_order_1 = require("./payloads/replenishment-order");
const training_example_1 = require("./payloads/training-example");
/** Storeloop's own services, and the outside parties that produce or consume its topics. */
exports.SERVICES = ['ingestion', 'features', 'training', 'inference', 'replenishment'];
exports.EXTERNAL_PARTIES = ['company-systems', 'erp', 'operators', 'dashboard'];
const DAY_MS = 24 * 60 * 60 * 1000;
/** Kafka's "keep forever". */
exports.RETENTION_FOREVER = -1;
/**
 * A union schema over some event types, typed as exactly those events, so a
 * topic's payload type follows from its list of event types.
 */
function eventsSchema(types) {
    const schemas = types.map((type) => event_types_1.EVENT_TYPES[type].schema);
    // zod wants a non-empty tuple; the lists below are literal and non-empty.
    const union = zod_1.z.discriminatedUnion('type', schemas);
    return union;
}
const CUSTOMER_EVENTS = [
    event_types_1.EventType.ProductViewed,
    event_types_1.EventType.CartItemAdded,
    event_types_1.EventType.CartItemRemoved,
    event_types_1.EventType.OrderPlaced,
    event_types_1.EventType.SearchPerformed,
    event_types_1.EventType.ProductFavorited,
    event_types_1.EventType.CatalogItemUpserted,
    event_types_1.EventType.InventorySnapshotTaken,
    event_types_1.EventType.GoodsReceived,
];
const FEEDBACK_EVENTS = [event_types_1.EventType.RecommendationServed, event_types_1.EventType.RecommendationClicked];
const PRIVACY_EVENTS = [event_types_1.EventType.UserErasureRequested];
const production = { replicationFactor: 3, minInSyncReplicas: 2 };
/** Every topic. No service writes a topic name inline: use `TOPICS.<id>.name`. */
exports.TOPICS = {
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
        schema: eventsSchema(event_types_1.EVENT_TYPE_NAMES),
        eventTypes: event_types_1.EVENT_TYPE_NAMES,
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
        ...production,
        producers: ['ingestion', 'features', 'training', 'inference', 'replenishment'],
        consumers: ['operators'],
        payload: 'A rejected record: original bytes in base64, error code, reason, source coordinates',
        schema: dead_letter_record_1.deadLetterRecordSchema,
    },
    feedback: {
        name: 'retail.feedback.v1',
        key: 'userId',
        partitions: 6,
        cleanupPolicy: 'delete',
        retentionMs: 30 * DAY_MS,
        ...production,
        producers: ['inference', 'ingestion'],
        consumers: ['features', 'training'],
        payload: 'Recommendation impressions (served) and their outcomes (clicked), as CloudEvents',
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
        schema: training_example_1.trainingExampleSchema,
    },
    models: {
        name: 'retail.models.v1',
        key: 'modelName',
        // One partition: every consumer sees lifecycle events of all models in one order.
        partitions: 1,
        cleanupPolicy: 'compact',
        retentionMs: exports.RETENTION_FOREVER,
        ...production,
        producers: ['training'],
        consumers: ['inference', 'dashboard'],
        payload: 'Model lifecycle events: trained, evaluated, promoted, rejected, rolled back',
        schema: model_lifecycle_event_1.modelLifecycleEventSchema,
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
        schema: replenishment_order_1.replenishmentOrderSchema,
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
};
exports.TOPIC_IDS = Object.keys(exports.TOPICS);
exports.TOPIC_NAMES = exports.TOPIC_IDS.map((id) => exports.TOPICS[id].name);
function isTopicName(name) {
    return exports.TOPIC_NAMES.includes(name);
}
function topicByName(name) {
    const topic = exports.TOPIC_IDS.map((id) => exports.TOPICS[id]).find((candidate) => candidate.name === name);
    if (!topic)
        throw new Error(`unknown topic ${name}`);
    return topic;
}
/** The validated topic an event type is published to (never the raw topic). */
function topicForEventType(type) {
    const topic = exports.TOPIC_IDS.filter((id) => id !== 'rawEvents')
        .map((id) => exports.TOPICS[id])
        .find((candidate) => 'eventTypes' in candidate && candidate.eventTypes.includes(type));
    if (!topic)
        throw new Error(`event type ${type} is routed to no topic`);
    return topic.name;
}
