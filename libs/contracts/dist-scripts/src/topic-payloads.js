"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.parseTopicPayload = parseTopicPayload;
exports.messageKeyOf = messageKeyOf;
const errors_1 = require("./errors");
const event_types_1 = require("./event-types");
const parse_event_1 = require("./parse-event");
const topics_1 = require("./topics");
/**
 * Validate a record read from `topic`. CloudEvents topics go through
 * `parseEvent` (same codes) and must carry the event's type; the other topics
 * are checked against their payload schema.
 */
function parseTopicPayload(topic, input) {
    const definition = (0, topics_1.topicByName)(topic);
    if ('eventTypes' in definition) {
        const parsed = (0, parse_event_1.parseEvent)(input);
        if (!parsed.ok)
            return parsed;
        if (!definition.eventTypes.includes(parsed.event.type)) {
            return (0, parse_event_1.contractFailure)(errors_1.CONTRACT_ERROR_CODES.WrongTopic, [
                { path: 'type', message: `${parsed.event.type} belongs on ${(0, topics_1.topicForEventType)(parsed.event.type)}, not ${topic}` },
            ]);
        }
        return { ok: true, value: parsed.event };
    }
    if (!(0, parse_event_1.isJsonObject)(input)) {
        return (0, parse_event_1.contractFailure)(errors_1.CONTRACT_ERROR_CODES.NotAnObject, [{ path: '', message: 'expected a JSON object' }]);
    }
    const parsed = definition.schema.safeParse(input);
    if (!parsed.success)
        return (0, parse_event_1.contractFailure)(errors_1.CONTRACT_ERROR_CODES.SchemaInvalid, (0, parse_event_1.issuesFromZodError)(parsed.error));
    return { ok: true, value: parsed.data };
}
/**
 * The Kafka key to write `payload` under. null where the producer decides:
 * the raw topic (company systems' own keys) and the DLQ (the original key
 * bytes, which the DLQ record holds in base64).
 */
function messageKeyOf(topic, payload) {
    // Each branch knows its payload type from the topic; TypeScript cannot
    // narrow a generic payload by a switch on the topic, hence the casts.
    switch (topic) {
        case topics_1.TOPICS.rawEvents.name:
        case topics_1.TOPICS.deadLetters.name:
            return null;
        case topics_1.TOPICS.events.name:
        case topics_1.TOPICS.feedback.name:
        case topics_1.TOPICS.privacy.name:
            return (0, event_types_1.partitionKeyOf)(payload);
        case topics_1.TOPICS.trainingExamples.name:
            return payload.userId;
        case topics_1.TOPICS.models.name:
            return payload.modelName;
        case topics_1.TOPICS.replenishment.name: {
            const order = payload;
            return `${order.sku}:${order.store}`;
        }
    }
}
