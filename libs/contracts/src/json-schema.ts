import { z } from 'zod';
import { EVENT_TYPES, type EventTypeName } from './event-types';
import { topicByName, type TopicName } from './topics';

export type JsonSchema = Record<string, unknown>;

export interface JsonSchemaOptions {
  /**
   * `input` (default) describes what producers may send: offsets in
   * timestamps, numeric money, omitted defaults, unknown `data` fields.
   * `output` describes the normalised form after parsing.
   */
  io?: 'input' | 'output';
  /** AsyncAPI 3 schemas are JSON Schema draft-07; standalone files use 2020-12. */
  target?: 'draft-2020-12' | 'draft-7';
}

function toJsonSchema(schema: z.ZodType, options: JsonSchemaOptions): JsonSchema {
  return z.toJSONSchema(schema, { io: options.io ?? 'input', target: options.target ?? 'draft-2020-12' }) as JsonSchema;
}

/** JSON Schema of one event type: envelope and data together. */
export function eventJsonSchema(type: EventTypeName, options: JsonSchemaOptions = {}): JsonSchema {
  const definition = EVENT_TYPES[type];
  return { ...toJsonSchema(definition.schema, options), title: type, description: definition.description };
}

/** JSON Schema of what a topic carries; for CloudEvents topics, the union of its event types. */
export function topicPayloadJsonSchema(topic: TopicName, options: JsonSchemaOptions = {}): JsonSchema {
  const definition = topicByName(topic);
  return { ...toJsonSchema(definition.schema, options), title: topic, description: definition.payload };
}
