import 'reflect-metadata';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Admin, Kafka } from 'kafkajs';
import {
  EventType,
  TOPICS,
  exampleEvent,
  isEventOfType,
  parseEvent,
  partitionKeyOf,
  type EventOfType,
  type EventTypeName,
  type ExampleEventOverrides,
  type StoreloopEvent,
} from '@storeloop/contracts';
import { createLogger, formatTraceparent } from '@storeloop/observability';
import { TopicReader, testKafka, uniqueSuffix, waitFor } from '@storeloop/testing';
import {
  KafkaBatchTransport,
  PAYLOAD_INVALID,
  TopicNamer,
  TopicProducer,
  contractDecoder,
  provisionTopics,
  type BatchContext,
  type ConsumedMessage,
} from '../src';

const logger = createLogger('messaging-test', 'silent');

/** Producers of retail.events.v1 send the normalised form of an event. */
function normalised<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T> = {}): EventOfType<T> {
  const result = parseEvent(exampleEvent(type, overrides));
  if (!result.ok || !isEventOfType(result.event, type)) throw new Error(`example of ${type} is invalid`);
  return result.event;
}
const received: { messages: ConsumedMessage<StoreloopEvent>[]; context: BatchContext }[] = [];

@Controller()
class EventsCollector {
  @EventPattern(TOPICS.events.name)
  async onEvents(@Payload() messages: ConsumedMessage<StoreloopEvent>[], @Ctx() context: BatchContext): Promise<void> {
    received.push({ messages, context });
  }
}

@Module({ controllers: [EventsCollector] })
class CollectorModule {}

describe('CloudEvents through a real broker, validated on both ends, handled by a Nest @EventPattern', () => {
  let kafka: Kafka;
  let admin: Admin;
  let namer: TopicNamer;
  let producer: TopicProducer;
  let app: INestApplication | undefined;
  let dlqReader: TopicReader | undefined;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    namer = new TopicNamer(`test-${uniqueSuffix()}.`);
    const provisioned = await provisionTopics(admin, [TOPICS.events, TOPICS.deadLetters], namer);
    expect(provisioned.created).toEqual([namer.physical(TOPICS.events.name), namer.physical(TOPICS.deadLetters.name)]);
    producer = new TopicProducer(kafka, namer, logger);
    await producer.connect();
  });

  afterAll(async () => {
    await app?.close();
    await dlqReader?.stop();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [namer.physical(TOPICS.events.name), namer.physical(TOPICS.deadLetters.name)] });
    await admin.disconnect();
  });

  it('provisions topics from the registry with their partitions and retention', async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [namer.physical(TOPICS.events.name)] });
    expect(metadata.topics[0].partitions).toHaveLength(TOPICS.events.partitions);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: namer.physical(TOPICS.events.name), configNames: ['retention.ms', 'cleanup.policy'] }],
    });
    const entries = Object.fromEntries(configs.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    expect(entries).toEqual({ 'retention.ms': String(TOPICS.events.retentionMs), 'cleanup.policy': 'delete' });
    // Provisioning again is harmless.
    const again = await provisionTopics(admin, [TOPICS.events], namer);
    expect(again).toEqual({ created: [], existing: [namer.physical(TOPICS.events.name)] });
  });

  it('refuses to produce an event that breaks its contract, naming the field', async () => {
    const valid = normalised(EventType.ProductViewed);
    const broken = { ...valid, data: { ...valid.data, sku: '' } };
    await expect(producer.send(TOPICS.events.name, [{ key: 'u-1', value: broken }])).rejects.toMatchObject({
      code: PAYLOAD_INVALID,
      message: expect.stringContaining('data.sku'),
    });
  });

  it('delivers valid events as typed batches with trace context, and dead-letters invalid bytes from a rogue producer', async () => {
    app = await NestFactory.create(CollectorModule, { logger: false });
    app.connectMicroservice({
      strategy: new KafkaBatchTransport({
        kafka,
        groupId: `test-group-${uniqueSuffix()}`,
        namer,
        deadLetter: { producer, topic: namer.physical(TOPICS.deadLetters.name) },
        decoders: { [TOPICS.events.name]: contractDecoder(TOPICS.events.name) },
        logger,
        retry: { maxRetries: 1, initialBackoffMs: 10 },
      }),
    });
    await app.init();
    await app.startAllMicroservices();

    // The producer validates again and writes the normalised form: the offset time becomes UTC.
    const viewed = { ...normalised(EventType.ProductViewed, { id: 'evt-view-1' }), time: '2024-05-01T12:15:30+02:00' };
    const order = normalised(EventType.OrderPlaced, { id: 'evt-order-1' });
    const traceparent = formatTraceparent({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true });
    const key = partitionKeyOf(viewed);
    expect(partitionKeyOf(order)).toBe(key);
    await producer.send(TOPICS.events.name, [
      { key, value: viewed, headers: { traceparent, correlationid: 'corr-1' } },
      { key, value: order },
    ]);
    // A record that skipped the producer's validation: the consumer must still refuse it.
    const rogue = Buffer.from(JSON.stringify({ ...exampleEvent(EventType.ProductViewed, { id: 'evt-rogue' }), time: 'yesterday' }));
    await producer.sendMessages(namer.physical(TOPICS.events.name), [{ key, value: rogue }]);

    await waitFor(() => received.flatMap((b) => b.messages).length >= 2, { description: 'two valid events handled' });
    const handled = received.flatMap((b) => b.messages);
    expect(handled.map((m) => m.value.id)).toEqual(['evt-view-1', 'evt-order-1']);
    const first = handled[0];
    expect(first.value).toMatchObject({ type: EventType.ProductViewed, time: '2024-05-01T10:15:30.000Z' });
    expect(first.key).toBe(key);
    expect(partitionKeyOf(first.value)).toBe(first.key);
    expect(first.trace).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', correlationId: 'corr-1' });
    expect(first.trace.spanId).not.toBe('00f067aa0ba902b7');
    expect(received[0].context.topic).toBe(namer.physical(TOPICS.events.name));
    // A record sent without trace headers starts its own trace; every record says what it holds.
    expect(handled[1].headers).toMatchObject({ 'content-type': 'application/cloudevents+json; charset=UTF-8' });
    expect(handled[1].headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(handled[1].trace.traceId).not.toBe(first.trace.traceId);

    dlqReader = await new TopicReader(kafka, namer.physical(TOPICS.deadLetters.name)).start();
    const [dead] = await dlqReader.waitForCount(1);
    const record = JSON.parse(dead.message.value!.toString());
    expect(record).toMatchObject({ code: 'CONTRACT.SCHEMA_INVALID', sourceTopic: TOPICS.events.name, offset: '2', attempts: 1 });
    expect(record.reason).toContain('time');
    expect(Buffer.from(record.value, 'base64')).toEqual(rogue);
    expect(TOPICS.deadLetters.schema.safeParse(record).success).toBe(true);
  });

});
