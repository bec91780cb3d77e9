"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.buildAsyncApiDocument = buildAsyncApiDocument;
const envelope_1 = require("./envelope");
const event_types_1 = require("./event-types");
const json_schema_1 = require("./json-schema");
const message_headers_1 = require("./message-headers");
const topics_1 = require("./topics");
const KAFKA_BINDING_VERSION = '0.5.0';
/** Message names for the topics whose payload is not a CloudEvent. */
const RECORD_MESSAGE_NAMES = {
    deadLetters: 'DeadLetterRecord',
    trainingExamples: 'TrainingExample',
    models: 'ModelLifecycleEvent',
    replenishment: 'ReplenishmentOrder',
};
const EVENT_MESSAGE_NAMES = Object.fromEntries(Object.entries(event_types_1.EventType).map(([name, type]) => [type, name]));
// AsyncAPI schema objects are draft-07 supersets and sit inside the document: no `$schema`.
function embedded(schema) {
    const { $schema: _dialect, ...rest } = schema;
    return rest;
}
const headersSchema = {
    type: 'object',
    properties: {
        [message_headers_1.MESSAGE_HEADERS.contentType]: { type: 'string', examples: [envelope_1.CLOUDEVENTS_JSON_CONTENT_TYPE, 'application/json'] },
        [message_headers_1.MESSAGE_HEADERS.traceparent]: { type: 'string', description: 'W3C Trace Context' },
        [message_headers_1.MESSAGE_HEADERS.tracestate]: { type: 'string', description: 'W3C Trace Context' },
        [message_headers_1.MESSAGE_HEADERS.correlationId]: { type: 'string' },
        [message_headers_1.MESSAGE_HEADERS.causationId]: { type: 'string' },
    },
};
function kafkaKey(description) {
    return { bindings: { kafka: { key: { type: 'string', description }, bindingVersion: KAFKA_BINDING_VERSION } } };
}
function eventMessage(type) {
    const definition = event_types_1.EVENT_TYPES[type];
    return {
        name: EVENT_MESSAGE_NAMES[type],
        title: type,
        summary: definition.description,
        contentType: envelope_1.CLOUDEVENTS_JSON_CONTENT_TYPE,
        headers: headersSchema,
        payload: embedded((0, json_schema_1.eventJsonSchema)(type, { target: 'draft-7' })),
        ...kafkaKey(definition.keyDescription),
    };
}
function recordMessage(id) {
    const topic = topics_1.TOPICS[id];
    return {
        name: RECORD_MESSAGE_NAMES[id],
        title: RECORD_MESSAGE_NAMES[id],
        summary: topic.payload,
        contentType: 'application/json',
        headers: headersSchema,
        payload: embedded((0, json_schema_1.topicPayloadJsonSchema)(topic.name, { target: 'draft-7' })),
        ...kafkaKey(topic.key),
    };
}
function messageNamesOf(id) {
    const topic = topics_1.TOPICS[id];
    if ('eventTypes' in topic)
        return topic.eventTypes.map((type) => EVENT_MESSAGE_NAMES[type]);
    return [RECORD_MESSAGE_NAMES[id]];
}
function channel(id) {
    const topic = topics_1.TOPICS[id];
    return {
        address: topic.name,
        title: topic.name,
        description: `${topic.payload}. Key: ${topic.key}.`,
        messages: Object.fromEntries(messageNamesOf(id).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
        bindings: {
            kafka: {
                topic: topic.name,
                partitions: topic.partitions,
                replicas: topic.replicationFactor,
                topicConfiguration: {
                    'cleanup.policy': [topic.cleanupPolicy],
                    'retention.ms': topic.retentionMs,
                    'min.insync.replicas': topic.minInSyncReplicas,
                },
                bindingVersion: KAFKA_BINDING_VERSION,
            },
        },
    };
}
function operation(party, action, id) {
    const topic = topics_1.TOPICS[id];
    return [
        `${party}-${action}-${id}`,
        {
            action,
            title: `${party} ${action === 'send' ? 'publishes to' : 'consumes'} ${topic.name}`,
            channel: { $ref: `#/channels/${id}` },
            messages: messageNamesOf(id).map((name) => ({ $ref: `#/channels/${id}/messages/${name}` })),
            tags: [{ name: party }],
        },
    ];
}
/** The AsyncAPI 3.0 document of every Storeloop topic, built from TOPICS and EVENT_TYPES. */
function buildAsyncApiDocument(options) {
    const eventTypes = Object.keys(EVENT_MESSAGE_NAMES);
    return {
        asyncapi: '3.0.0',
        info: {
            title: 'Storeloop topics',
            version: options.version,
            description: 'Every Kafka topic of the Storeloop retail ML platform. Events are CloudEvents 1.0 in structured JSON mode; ' +
                'other topics carry plain JSON records. Generated from libs/contracts; do not edit by hand.',
        },
        defaultContentType: 'application/json',
        servers: {
            local: {
                host: options.localBroker ?? 'localhost:9092',
                protocol: 'kafka',
                description: 'Single-node KRaft broker for development',
            },
        },
        channels: Object.fromEntries(topics_1.TOPIC_IDS.map((id) => [id, channel(id)])),
        operations: Object.fromEntries(topics_1.TOPIC_IDS.flatMap((id) => [
            ...topics_1.TOPICS[id].producers.map((party) => operation(party, 'send', id)),
            ...topics_1.TOPICS[id].consumers.map((party) => operation(party, 'receive', id)),
        ])),
        components: {
            messages: {
                ...Object.fromEntries(eventTypes.map((type) => [EVENT_MESSAGE_NAMES[type], eventMessage(type)])),
                ...Object.fromEntries(Object.keys(RECORD_MESSAGE_NAMES).map((id) => [
                    RECORD_MESSAGE_NAMES[id],
                    recordMessage(id),
                ])),
            },
        },
    };
}
