import { CLOUDEVENTS_JSON_CONTENT_TYPE } from './envelope';
import { EventType, EVENT_TYPES, type EventTypeName } from './event-types';
import { eventJsonSchema, topicPayloadJsonSchema, type JsonSchema } from './json-schema';
import { MESSAGE_HEADERS } from './message-headers';
import { TOPICS, TOPIC_IDS, type TopicId, type TopicName, type TopicParty } from './topics';

const KAFKA_BINDING_VERSION = '0.5.0';

export interface AsyncApiOptions {
  /** Version of the API described, usually the contracts package version. */
  version: string;
  /** Broker address shown as the `local` server. */
  localBroker?: string;
}

/** Message names for the topics whose payload is not a CloudEvent. */
const RECORD_MESSAGE_NAMES = {
  deadLetters: 'DeadLetterRecord',
  trainingExamples: 'TrainingExample',
  models: 'ModelLifecycleEvent',
  replenishment: 'ReplenishmentOrder',
} as const satisfies Partial<Record<TopicId, string>>;

const EVENT_MESSAGE_NAMES = Object.fromEntries(
  Object.entries(EventType).map(([name, type]) => [type, name]),
) as Record<EventTypeName, keyof typeof EventType>;

// AsyncAPI schema objects are draft-07 supersets and sit inside the document: no `$schema`.
function embedded(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

const headersSchema: JsonSchema = {
  type: 'object',
  properties: {
    [MESSAGE_HEADERS.contentType]: { type: 'string', examples: [CLOUDEVENTS_JSON_CONTENT_TYPE, 'application/json'] },
    [MESSAGE_HEADERS.traceparent]: { type: 'string', description: 'W3C Trace Context' },
    [MESSAGE_HEADERS.tracestate]: { type: 'string', description: 'W3C Trace Context' },
    [MESSAGE_HEADERS.correlationId]: { type: 'string' },
    [MESSAGE_HEADERS.causationId]: { type: 'string' },
  },
};

function kafkaKey(description: string): JsonSchema {
  return { bindings: { kafka: { key: { type: 'string', description }, bindingVersion: KAFKA_BINDING_VERSION } } };
}

function eventMessage(type: EventTypeName): JsonSchema {
  const definition = EVENT_TYPES[type];
  return {
    name: EVENT_MESSAGE_NAMES[type],
    title: type,
    summary: definition.description,
    contentType: CLOUDEVENTS_JSON_CONTENT_TYPE,
    headers: headersSchema,
    payload: embedded(eventJsonSchema(type, { target: 'draft-7' })),
    ...kafkaKey(definition.keyDescription),
  };
}

function recordMessage(id: keyof typeof RECORD_MESSAGE_NAMES): JsonSchema {
  const topic = TOPICS[id];
  return {
    name: RECORD_MESSAGE_NAMES[id],
    title: RECORD_MESSAGE_NAMES[id],
    summary: topic.payload,
    contentType: 'application/json',
    headers: headersSchema,
    payload: embedded(topicPayloadJsonSchema(topic.name, { target: 'draft-7' })),
    ...kafkaKey(topic.key),
  };
}

function messageNamesOf(id: TopicId): string[] {
  const topic = TOPICS[id];
  if ('eventTypes' in topic) return topic.eventTypes.map((type) => EVENT_MESSAGE_NAMES[type]);
  return [RECORD_MESSAGE_NAMES[id as keyof typeof RECORD_MESSAGE_NAMES]];
}

function channel(id: TopicId): JsonSchema {
  const topic = TOPICS[id];
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

function operation(party: TopicParty, action: 'send' | 'receive', id: TopicId): [string, JsonSchema] {
  const topic: { name: TopicName } = TOPICS[id];
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
export function buildAsyncApiDocument(options: AsyncApiOptions): JsonSchema {
  const eventTypes = Object.keys(EVENT_MESSAGE_NAMES) as EventTypeName[];
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Storeloop topics',
      version: options.version,
      description:
        'Every Kafka topic of the Storeloop retail ML platform. Events are CloudEvents 1.0 in structured JSON mode; ' +
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
    channels: Object.fromEntries(TOPIC_IDS.map((id) => [id, channel(id)])),
    operations: Object.fromEntries(
      TOPIC_IDS.flatMap((id) => [
        ...TOPICS[id].producers.map((party) => operation(party, 'send', id)),
        ...TOPICS[id].consumers.map((party) => operation(party, 'receive', id)),
      ]),
    ),
    components: {
      messages: {
        ...Object.fromEntries(eventTypes.map((type) => [EVENT_MESSAGE_NAMES[type], eventMessage(type)])),
        ...Object.fromEntries(
          (Object.keys(RECORD_MESSAGE_NAMES) as (keyof typeof RECORD_MESSAGE_NAMES)[]).map((id) => [
            RECORD_MESSAGE_NAMES[id],
            recordMessage(id),
          ]),
        ),
      },
    },
  };
}
