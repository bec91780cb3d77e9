import { CONTRACT_ERROR_CODES, type ContractFailure } from './errors';
import { partitionKeyOf, type StoreloopEvent } from './event-types';
import { contractFailure, isJsonObject, issuesFromZodError, parseEvent } from './parse-event';
import type { ModelLifecycleEvent } from './payloads/model-lifecycle-event';
import type { ReplenishmentOrder } from './payloads/replenishment-order';
import type { TrainingExample } from './payloads/training-example';
import { TOPICS, topicByName, topicForEventType, type ParsedTopicPayloads, type TopicName, type TopicPayloads } from './topics';

export type ParseTopicPayloadResult<N extends TopicName> = { ok: true; value: ParsedTopicPayloads[N] } | ContractFailure;

/**
 * Validate a record read from `topic`. CloudEvents topics go through
 * `parseEvent` (same codes) and must carry the event's type; the other topics
 * are checked against their payload schema.
 */
export function parseTopicPayload<N extends TopicName>(topic: N, input: unknown): ParseTopicPayloadResult<N> {
  const definition = topicByName(topic);
  if ('eventTypes' in definition) {
    const parsed = parseEvent(input);
    if (!parsed.ok) return parsed;
    if (!(definition.eventTypes as readonly string[]).includes(parsed.event.type)) {
      return contractFailure(CONTRACT_ERROR_CODES.WrongTopic, [
        { path: 'type', message: `${parsed.event.type} belongs on ${topicForEventType(parsed.event.type)}, not ${topic}` },
      ]);
    }
    return { ok: true, value: parsed.event as ParsedTopicPayloads[N] };
  }

  if (!isJsonObject(input)) {
    return contractFailure(CONTRACT_ERROR_CODES.NotAnObject, [{ path: '', message: 'expected a JSON object' }]);
  }
  const parsed = definition.schema.safeParse(input);
  if (!parsed.success) return contractFailure(CONTRACT_ERROR_CODES.SchemaInvalid, issuesFromZodError(parsed.error));
  return { ok: true, value: parsed.data as ParsedTopicPayloads[N] };
}

/**
 * The Kafka key to write `payload` under. null where the producer decides:
 * the raw topic (company systems' own keys) and the DLQ (the original key
 * bytes, which the DLQ record holds in base64).
 */
export function messageKeyOf<N extends TopicName>(topic: N, payload: TopicPayloads[N]): string | null {
  // Each branch knows its payload type from the topic; TypeScript cannot
  // narrow a generic payload by a switch on the topic, hence the casts.
  switch (topic as TopicName) {
    case TOPICS.rawEvents.name:
    case TOPICS.deadLetters.name:
      return null;
    case TOPICS.events.name:
    case TOPICS.feedback.name:
    case TOPICS.privacy.name:
      return partitionKeyOf(payload as StoreloopEvent);
    case TOPICS.trainingExamples.name:
      return (payload as TrainingExample).userId;
    case TOPICS.models.name:
      return (payload as ModelLifecycleEvent).modelName;
    case TOPICS.replenishment.name: {
      const order = payload as ReplenishmentOrder;
      return `${order.sku}:${order.store}`;
    }
  }
}
