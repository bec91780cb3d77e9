"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.eventJsonSchema = eventJsonSchema;
exports.topicPayloadJsonSchema = topicPayloadJsonSchema;
const zod_1 = require("zod");
const event_types_1 = require("./event-types");
const topics_1 = require("./topics");
function toJsonSchema(schema, options) {
    return zod_1.z.toJSONSchema(schema, { io: options.io ?? 'input', target: options.target ?? 'draft-2020-12' });
}
/** JSON Schema of one event type: envelope and data together. */
function eventJsonSchema(type, options = {}) {
    const definition = event_types_1.EVENT_TYPES[type];
    return { ...toJsonSchema(definition.schema, options), title: type, description: definition.description };
}
/** JSON Schema of what a topic carries; for CloudEvents topics, the union of its event types. */
function topicPayloadJsonSchema(topic, options = {}) {
    const definition = (0, topics_1.topicByName)(topic);
    return { ...toJsonSchema(definition.schema, options), title: topic, description: definition.payload };
}
