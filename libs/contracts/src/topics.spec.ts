import { z } from 'zod';
import { CONTRACT_ERROR_CODES } from './errors';
import { EVENT_TYPE_NAMES, EventType, type EventTypeName } from './event-types';
import { exampleEvent, exampleRecord } from './examples';
import { messageKeyOf, parseTopicPayload } from './topic-payloads';
import {
  EXTERNAL_PARTIES,
  RETENTION_FOREVER,
  SERVICES,
  TOPIC_IDS,
  TOPIC_NAMES,
  TOPICS,
  topicByName,
  topicForEventType,
  type ParsedTopicPayloads,
  type TopicName,
  type TopicPayloads,
} from './topics';

/** The example event of `type`, parsed as a consumer of `topic` reads it. */
function readFrom<N extends TopicName>(topic: N, type: EventTypeName): ParsedTopicPayloads[N] {
  const result = parseTopicPayload(topic, exampleEvent(type));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe('topic registry', () => {
  it('holds exactly the platform topics, each name once', () => {
    expect([...TOPIC_NAMES].sort()).toEqual(
      [
        'retail.events.raw.v1',
        'retail.events.v1',
        'retail.events.dlq.v1',
        'retail.feedback.v1',
        'retail.training-examples.v1',
        'retail.models.v1',
        'retail.replenishment.v1',
        'retail.privacy.v1',
      ].sort(),
    );
    expect(new Set(TOPIC_NAMES).size).toBe(TOPIC_NAMES.length);
  });

  it.each(TOPIC_IDS)('%s is fully described', (id) => {
    const topic = TOPICS[id];
    expect(topic.name).toMatch(/^retail\.[a-z-]+(\.[a-z-]+)*\.v\d+$/);
    expect(topic.schema).toBeInstanceOf(z.ZodType);
    expect(Number.isInteger(topic.partitions) && topic.partitions >= 1).toBe(true);
    expect(topic.retentionMs === RETENTION_FOREVER || topic.retentionMs > 0).toBe(true);
    expect(topic.minInSyncReplicas).toBeLessThan(topic.replicationFactor);
    expect(topic.producers.length).toBeGreaterThan(0);
    expect(topic.consumers.length).toBeGreaterThan(0);
    for (const party of [...topic.producers, ...topic.consumers]) {
      expect([...SERVICES, ...EXTERNAL_PARTIES]).toContain(party);
    }
    expect(topic.key.length).toBeGreaterThan(0);
    expect(topic.payload.length).toBeGreaterThan(0);
  });

  it('compacts only the model topic, on one partition', () => {
    const compacted = TOPIC_IDS.filter((id) => TOPICS[id].cleanupPolicy === 'compact');
    expect(compacted).toEqual(['models']);
    expect(TOPICS.models.partitions).toBe(1);
  });

  it('routes every event type to exactly one validated topic, and all of them through the raw topic', () => {
    for (const type of EVENT_TYPE_NAMES) {
      const carriers = TOPIC_IDS.filter((id) => id !== 'rawEvents').filter((id) => {
        const topic = TOPICS[id];
        return 'eventTypes' in topic && (topic.eventTypes as readonly string[]).includes(type);
      });
      expect(carriers).toHaveLength(1);
    }
    expect([...TOPICS.rawEvents.eventTypes].sort()).toEqual([...EVENT_TYPE_NAMES].sort());
    expect(topicForEventType(EventType.UserErasureRequested)).toBe('retail.privacy.v1');
    expect(topicForEventType(EventType.RecommendationClicked)).toBe('retail.feedback.v1');
    expect(topicForEventType(EventType.RecommendationPurchased)).toBe('retail.feedback.v1');
    expect(topicForEventType(EventType.GoodsReceived)).toBe('retail.events.v1');
  });

  it('finds topics by name and refuses unknown names', () => {
    expect(topicByName('retail.models.v1')).toBe(TOPICS.models);
    expect(() => topicByName('retail.nope.v1' as TopicName)).toThrow('unknown topic');
  });
});

describe('parseTopicPayload', () => {
  it('accepts every event type on its own topic and on the raw topic', () => {
    for (const type of EVENT_TYPE_NAMES) {
      expect(parseTopicPayload(topicForEventType(type), exampleEvent(type)).ok).toBe(true);
      expect(parseTopicPayload('retail.events.raw.v1', exampleEvent(type)).ok).toBe(true);
    }
  });

  it('rejects an event on a topic that does not carry its type as WRONG_TOPIC', () => {
    const result = parseTopicPayload('retail.events.v1', exampleEvent(EventType.UserErasureRequested));
    expect(result).toEqual({
      ok: false,
      code: CONTRACT_ERROR_CODES.WrongTopic,
      issues: [{ path: 'type', message: expect.stringContaining('retail.privacy.v1') }],
    });
  });

  it('passes parseEvent codes through for CloudEvents topics', () => {
    const newer = { ...exampleEvent(EventType.RecommendationClicked), type: 'com.storeloop.recommendation.clicked.v3' };
    const result = parseTopicPayload('retail.feedback.v1', newer);
    expect(!result.ok && result.code).toBe(CONTRACT_ERROR_CODES.UnsupportedVersion);
  });

  it.each(['retail.events.dlq.v1', 'retail.training-examples.v1', 'retail.models.v1', 'retail.replenishment.v1'] as const)(
    'accepts the example record on %s and rejects a non-object',
    (topic) => {
      expect(parseTopicPayload(topic, exampleRecord(topic))).toEqual({ ok: true, value: expect.any(Object) });
      expect(!parseTopicPayload(topic, 'text').ok && (parseTopicPayload(topic, 'text') as { code: string }).code).toBe(
        CONTRACT_ERROR_CODES.NotAnObject,
      );
    },
  );

  it.each([
    ['retail.events.dlq.v1', { value: 'not base64!' }, 'value'],
    ['retail.events.dlq.v1', { code: 'schema invalid' }, 'code'],
    ['retail.events.dlq.v1', { offset: '-1' }, 'offset'],
    ['retail.events.dlq.v1', { attempts: 0 }, 'attempts'],
    ['retail.events.dlq.v1', { headers: { traceparent: '%%%' } }, 'headers.traceparent'],
    ['retail.training-examples.v1', { featureTime: '2024-05-01T10:15:31Z' }, 'featureTime'],
    ['retail.training-examples.v1', { userFeatures: { views7d: 'many' } }, 'userFeatures.views7d'],
    ['retail.models.v1', { stage: 'deployed' }, 'stage'],
    ['retail.models.v1', { artifactUri: 'models/two-tower' }, 'artifactUri'],
    ['retail.models.v1', { at: 'now' }, 'at'],
    ['retail.replenishment.v1', { forPeriod: '2024-05-32' }, 'forPeriod'],
    ['retail.replenishment.v1', { quantity: -3 }, 'quantity'],
    ['retail.replenishment.v1', { baseline: { policy: 'base-stock', policyVersion: '1', quantity: -1 } }, 'baseline.quantity'],
  ] as const)('rejects a bad record on %s at %s', (topic, overrides, path) => {
    const result = parseTopicPayload(topic, { ...exampleRecord(topic), ...overrides });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(CONTRACT_ERROR_CODES.SchemaInvalid);
    expect(result.issues.map((issue) => issue.path)).toContain(path);
  });

  it('accepts a DLQ record of an HTTP rejection, with no Kafka coordinates', () => {
    const coordinates = { sourceTopic: null, partition: null, offset: null, consumerGroup: null, key: null };
    const record = exampleRecord('retail.events.dlq.v1', coordinates);
    expect(parseTopicPayload('retail.events.dlq.v1', record).ok).toBe(true);
  });

  it('normalises timestamps of records to UTC', () => {
    const result = parseTopicPayload('retail.models.v1', exampleRecord('retail.models.v1', { at: '2024-05-01T12:00:00+02:00' }));
    expect(result.ok && result.value.at).toBe('2024-05-01T10:00:00.000Z');
  });
});

describe('messageKeyOf', () => {
  it('keys events by their partition key', () => {
    const snapshot = readFrom('retail.events.v1', EventType.InventorySnapshotTaken);
    expect(messageKeyOf('retail.events.v1', snapshot)).toBe('SKU-123:store-0042');
    const served = readFrom('retail.feedback.v1', EventType.RecommendationServed);
    expect(messageKeyOf('retail.feedback.v1', served)).toBe('user-1001');
    const erasure = readFrom('retail.privacy.v1', EventType.UserErasureRequested);
    expect(messageKeyOf('retail.privacy.v1', erasure)).toBe('user-1001');
  });

  it('keys records by their documented fields', () => {
    expect(messageKeyOf('retail.training-examples.v1', exampleRecord('retail.training-examples.v1'))).toBe('user-1001');
    expect(messageKeyOf('retail.models.v1', exampleRecord('retail.models.v1'))).toBe('two-tower');
    expect(messageKeyOf('retail.replenishment.v1', exampleRecord('retail.replenishment.v1'))).toBe('SKU-123:store-0042');
  });

  it('leaves the key to the producer on the raw topic and the DLQ', () => {
    expect(messageKeyOf('retail.events.raw.v1', exampleEvent(EventType.ProductViewed))).toBeNull();
    expect(messageKeyOf('retail.events.dlq.v1', exampleRecord('retail.events.dlq.v1'))).toBeNull();
  });
});

describe('TopicPayloads', () => {
  /** A producer as the messaging library would type it. */
  function recordingProducer() {
    const sent: { topic: TopicName; key: string | null }[] = [];
    return {
      sent,
      send<T extends TopicName>(topic: T, value: TopicPayloads[T]): void {
        sent.push({ topic, key: messageKeyOf(topic, value) });
      },
    };
  }

  it('lets a typed producer send each topic its own payload', () => {
    const producer = recordingProducer();
    producer.send('retail.models.v1', exampleRecord('retail.models.v1'));
    const line = { sku: 'A', quantity: 1, unitPrice: { amount: 3, currency: 'EUR' } };
    producer.send('retail.events.raw.v1', exampleEvent(EventType.OrderPlaced, { data: { items: [line] } }));
    expect(producer.sent).toEqual([
      { topic: 'retail.models.v1', key: 'two-tower' },
      { topic: 'retail.events.raw.v1', key: null },
    ]);
  });

  // Never called: `npx nx run contracts:typecheck` fails if a line below stops being a type error.
  const _typeErrors = () => {
    const producer = recordingProducer();
    // @ts-expect-error a replenishment order is not a model lifecycle event
    producer.send('retail.models.v1', exampleRecord('retail.replenishment.v1'));
    // @ts-expect-error validated topics carry normalised money (strings), raw input is not enough
    producer.send('retail.events.v1', exampleEvent(EventType.OrderPlaced));
    // @ts-expect-error an erasure request does not go on the feedback topic
    producer.send('retail.feedback.v1', readFrom('retail.privacy.v1', EventType.UserErasureRequested));
    // @ts-expect-error no such topic
    producer.send('retail.orders.v1', {});
  };
});
