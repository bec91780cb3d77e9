import { z } from 'zod';
import type { Admin, Kafka } from 'kafkajs';
import { LivenessRegistry, StoreloopError, createLogger, createMetricsRegistry } from '@storeloop/observability';
import { committedOffsets, createTopics, testKafka, uniqueName, waitFor } from '@storeloop/testing';
import { BatchConsumer, TopicNamer, TopicProducer, jsonDecoder } from '../src';

const logger = createLogger('messaging-test', 'silent');
const record = z.object({ id: z.string() });

describe('batch consumer after a crash kafkajs does not restart, and its liveness (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: TopicProducer;
  let consumer: BatchConsumer<z.infer<typeof record>> | undefined;
  let watched: BatchConsumer<z.infer<typeof record>> | undefined;
  let topic: string;
  let dlq: string;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    topic = uniqueName('test.crash');
    dlq = uniqueName('test.crash-dlq');
    await createTopics(admin, [topic, dlq], 2);
    producer = new TopicProducer(kafka, new TopicNamer(), logger);
    await producer.connect();
  });

  afterAll(async () => {
    await consumer?.stop();
    await watched?.stop();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('restarts the consumer kafkajs left disconnected, and every record is handled once, in order per partition', async () => {
    const groupId = uniqueName('test.crash-group');
    const registry = createMetricsRegistry('messaging-test', { defaultMetrics: false });
    const crashes: { restart: boolean; error: string }[] = [];
    const handled = new Map<number, string[]>();
    // Where each partition resumes, kept with the handler's output as a feature store keeps it: exactly once across the restart.
    const stored = new Map<number, number>();
    let resumes = 0;
    consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      decode: jsonDecoder(record),
      handle: async (messages) => {
        for (const m of messages) handled.set(m.partition, [...(handled.get(m.partition) ?? []), m.value.id]);
        stored.set(messages[0].partition, Number(messages[messages.length - 1].offset) + 1);
      },
      deadLetter: { producer, topic: dlq },
      logger,
      registry,
      crashRestartDelayMs: 200,
      // The first positions asked fail with an error kafkajs neither retries nor restarts on: asked by the first batch
      // (the repositioning after the join, which asks first, only logs it), it crashes the consumer for good.
      resume: async (_topic, partition) => {
        resumes++;
        if (resumes <= 2) throw new StoreloopError('TEST.STORE_BROKEN', 'the store could not say where to resume', { retriable: false });
        return String(stored.get(partition) ?? 0);
      },
    });
    consumer.raw.on(consumer.raw.events.CRASH, ({ payload }) => crashes.push({ restart: payload.restart, error: payload.error.name }));
    await consumer.start();
    const ids = Array.from({ length: 200 }, (_, i) => `r${i}`);
    await producer.sendMessages(topic, ids.map((id) => ({ key: id, value: JSON.stringify({ id }) })));

    await waitFor(() => new Set([...handled.values()].flat()).size === ids.length, { timeoutMs: 60_000, description: 'every record handled after the restart' });
    expect(crashes[0]).toEqual({ restart: false, error: 'KafkaJSNonRetriableError' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([...handled.values()].flat().sort()).toEqual([...ids].sort());
    for (const list of handled.values()) expect(list).toEqual(ids.filter((id) => list.includes(id)));
    const restarts = (await registry.getSingleMetric('kafka_consumer_restarts_total')?.get())?.values[0]?.value;
    expect(restarts).toBeGreaterThanOrEqual(1);
    await waitFor(async () => [...(await committedOffsets(admin, groupId, topic)).values()].reduce((a, b) => a + b, 0) === ids.length, {
      timeoutMs: 30_000,
      description: 'offsets committed to the end',
    });
  });

  it('stays alive while idle, goes stalled once kafkajs stops consuming behind its back, and is forgotten once stopped', async () => {
    const groupId = uniqueName('test.liveness-group');
    const liveness = new LivenessRegistry();
    const handled = new Set<string>();
    const ids = ['live-a', 'live-b', 'live-c'];
    watched = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      decode: jsonDecoder(record),
      handle: async (messages) => {
        for (const m of messages) handled.add(m.value.id);
      },
      deadLetter: { producer, topic: dlq },
      logger,
      liveness,
    });
    await watched.start();
    await producer.sendMessages(topic, ids.map((id) => ({ key: id, value: JSON.stringify({ id }) })));
    await waitFor(() => ids.every((id) => handled.has(id)), { timeoutMs: 60_000, description: 'the records handled' });

    // Idle with nothing to fetch: kafkajs' empty fetches and heartbeats keep it well inside a 20 s limit.
    let longest = 0;
    for (let i = 0; i < 24; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      longest = Math.max(longest, watched.silentForMs() ?? Infinity);
      expect(liveness.evaluate(20_000)).toEqual({ alive: true, stalled: [] });
    }
    expect(longest).toBeLessThan(20_000);

    // The kafkajs consumer stops while the service still counts on it (what a fetch loop that hangs looks like from outside).
    await watched.raw.stop();
    const verdict = await waitFor(() => {
      const v = liveness.evaluate(5_000);
      return v.alive ? undefined : v;
    }, { timeoutMs: 30_000, description: 'the stalled consumer reported' });
    expect(verdict.stalled).toEqual([{ name: `kafka-consumer:${groupId}`, silentForMs: expect.any(Number) }]);
    expect(verdict.stalled[0].silentForMs).toBeGreaterThan(5_000);

    await watched.stop();
    watched = undefined;
    expect(liveness.size).toBe(0);
  });
});
