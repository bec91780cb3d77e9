import { z } from 'zod';
import type { Admin, Kafka } from 'kafkajs';
import { StoreloopError, createLogger, createMetricsRegistry } from '@storeloop/observability';
import { TopicReader, createTopics, testKafka, uniqueName, waitFor } from '@storeloop/testing';
import { BatchConsumer, DEAD_LETTER_HEADERS, TopicNamer, TopicProducer, jsonDecoder } from '../src';

const logger = createLogger('messaging-test', 'silent');
const record = z.object({ id: z.string(), poison: z.boolean().default(false) });

describe('batch consumer dead-lettering (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: TopicProducer;
  let consumer: BatchConsumer<z.infer<typeof record>> | undefined;
  let dlqReader: TopicReader | undefined;
  let source: string;
  let dlq: string;

  beforeEach(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    source = uniqueName('test.source');
    dlq = uniqueName('test.dlq');
    // One partition: "records after the poison one" is then a strict offset order.
    await createTopics(admin, [source, dlq], 1);
    producer = new TopicProducer(kafka, new TopicNamer(), logger);
    await producer.connect();
  });

  afterEach(async () => {
    await consumer?.stop();
    await dlqReader?.stop();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [source, dlq] }).catch(() => undefined);
    await admin.disconnect();
  });

  function startConsumer(handle: (ids: string[]) => Promise<void>, maxRetries: number) {
    const registry = createMetricsRegistry('messaging-test', { defaultMetrics: false });
    consumer = new BatchConsumer({
      kafka,
      groupId: uniqueName('test.group'),
      topics: [source],
      decode: jsonDecoder(record),
      handle: async (messages) => handle(messages.map((m) => m.value.id)),
      deadLetter: { producer, topic: dlq },
      logger,
      registry,
      retry: { maxRetries, initialBackoffMs: 20, maxBackoffMs: 100 },
    });
    return { registry, started: consumer.start() };
  }

  it('dead-letters a poison record after the configured retries, keeps its bytes, and processes the records after it', async () => {
    const handled: string[] = [];
    const attemptsOnPoison: number[] = [];
    const payloads = Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, poison: i === 4 }));
    const { registry, started } = startConsumer(async (ids) => {
      if (ids.includes('r4')) {
        attemptsOnPoison.push(ids.length);
        throw new StoreloopError('TEST.DOWNSTREAM_REJECTED', 'downstream rejected r4', { retriable: true });
      }
      handled.push(...ids);
    }, 2);
    await started;
    const originalBytes = payloads.map((p) => Buffer.from(JSON.stringify(p)));
    await producer.sendMessages(
      source,
      originalBytes.map((value, i) => ({ key: `user-${i}`, value, headers: { correlationid: `c-${i}` } })),
    );

    dlqReader = await new TopicReader(kafka, dlq).start();
    const [dead] = await dlqReader.waitForCount(1);
    await waitFor(() => handled.length === 9, { description: 'the 9 good records to be handled' });

    expect(handled).toEqual(payloads.filter((p) => !p.poison).map((p) => p.id));
    // The poison record had 1 + 2 attempts on its own, after its slice failed as a whole.
    expect(attemptsOnPoison.filter((n) => n === 1)).toHaveLength(3);

    const body = JSON.parse(dead.message.value!.toString());
    expect(dead.message.key!.toString()).toBe('user-4');
    expect(body).toMatchObject({
      code: 'TEST.DOWNSTREAM_REJECTED',
      reason: 'downstream rejected r4',
      retriable: true,
      sourceTopic: source,
      partition: 0,
      offset: '4',
      attempts: 3,
    });
    expect(Buffer.from(body.value, 'base64')).toEqual(originalBytes[4]);
    expect(Buffer.from(body.key, 'base64').toString()).toBe('user-4');
    expect(Buffer.from(body.headers.correlationid, 'base64').toString()).toBe('c-4');
    expect(dead.message.headers?.[DEAD_LETTER_HEADERS.code]?.toString()).toBe('TEST.DOWNSTREAM_REJECTED');

    const metrics = await registry.getMetricsAsJSON();
    const processed = metrics.find((m) => m.name === 'kafka_consumer_records_total')!;
    const byOutcome = Object.fromEntries(processed.values.map((v) => [v.labels.outcome, v.value]));
    expect(byOutcome).toEqual({ handled: 9, dead_lettered: 1 });
  });

  it('dead-letters undecodable bytes and non-retriable failures at once, without retrying', async () => {
    let badInputCalls = 0;
    const handled: string[] = [];
    const { started } = startConsumer(async (ids) => {
      if (ids.includes('bad-input')) badInputCalls++;
      if (ids.includes('bad-input')) throw new StoreloopError('TEST.REJECTED', 'not acceptable', { retriable: false });
      handled.push(...ids);
    }, 5);
    await started;
    await producer.sendMessages(source, [
      { key: 'a', value: JSON.stringify({ id: 'ok-1' }) },
      { key: 'b', value: '{not json' },
      { key: 'c', value: JSON.stringify({ id: 'bad-input' }) },
      { key: 'd', value: JSON.stringify({ nope: 1 }) },
      { key: 'e', value: JSON.stringify({ id: 'ok-2' }) },
    ]);
    dlqReader = await new TopicReader(kafka, dlq).start();
    const dead = await dlqReader.waitForCount(3);
    await waitFor(() => handled.includes('ok-2'), { description: 'ok-2 to be handled' });

    const bodies = dead.map((d) => JSON.parse(d.message.value!.toString()));
    expect(bodies.map((b) => [b.offset, b.code, b.attempts])).toEqual([
      ['1', 'MESSAGING.MALFORMED_RECORD', 1],
      ['2', 'TEST.REJECTED', 1],
      ['3', 'MESSAGING.SCHEMA_INVALID', 1],
    ]);
    expect(Buffer.from(bodies[0].value, 'base64').toString()).toBe('{not json');
    expect(bodies[2].reason).toContain('id');
    expect(handled).toEqual(['ok-1', 'ok-2']);
    expect(badInputCalls).toBe(1);
  });
});
