import type { ConsumerRunConfig, EachBatchPayload, Kafka, KafkaMessage, Message } from 'kafkajs';
import { z } from 'zod';
import { LivenessRegistry, createLogger, createMetricsRegistry, StoreloopError, type Registry } from '@storeloop/observability';
import { BatchConsumer, RepositionRequested, type BatchConsumerOptions, type ConsumedMessage } from './batch-consumer';
import { MALFORMED_RECORD, jsonDecoder } from './decoders';
import type { TopicProducer } from './producer';
import { TopicNamer } from './topic-namer';

const TOPIC = 'ci.retail.events.v1';
const DLQ = 'ci.retail.events.dlq.v1';
const GROUP = 'storeloop-features';

type Value = { n: number };
const decode = jsonDecoder(z.object({ n: z.number() }));

function record(offset: number, value: string = JSON.stringify({ n: offset }), headers: KafkaMessage['headers'] = {}): KafkaMessage {
  return { key: Buffer.from(`key-${offset}`), value: Buffer.from(value), timestamp: '1714558530000', attributes: 0, offset: String(offset), headers } as KafkaMessage;
}

const retriable = (message = 'redis timeout') => new StoreloopError('FEATURES.REDIS_DOWN', message, { retriable: true });
const fatal = (message = 'cannot handle') => new StoreloopError('FEATURES.BAD_EVENT', message, { retriable: false });

/**
 * A BatchConsumer over a fake kafkajs client: `batch()` feeds records through the
 * eachBatch callback the consumer registered, and `log` records, in order, every
 * handler call, resolved offset and dead letter.
 */
async function setup(options: {
  handle: (values: number[]) => Promise<void> | void;
  retry?: BatchConsumerOptions<Value>['retry'];
  maxHandlerBatch?: number;
  registry?: Registry;
  sendMessages?: (topic: string, messages: Message[]) => Promise<unknown>;
  resume?: BatchConsumerOptions<Value>['resume'];
  onHandlerFailure?: BatchConsumerOptions<Value>['onHandlerFailure'];
  heartbeatIntervalMs?: number;
  liveness?: LivenessRegistry;
}) {
  const log: string[] = [];
  const handled: ConsumedMessage<Value>[][] = [];
  let eachBatch: ConsumerRunConfig['eachBatch'];
  const listeners = new Map<string, (event: unknown) => void>();
  const kafkaConsumer = {
    connect: jest.fn(async () => undefined),
    subscribe: jest.fn(async () => undefined),
    run: jest.fn(async (config: ConsumerRunConfig) => {
      eachBatch = config.eachBatch;
    }),
    disconnect: jest.fn(async () => undefined),
    seek: jest.fn((target: { topic: string; partition: number; offset: string }) => log.push(`seek ${target.partition}@${target.offset}`)),
    events: { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash', FETCH_START: 'consumer.fetch_start', HEARTBEAT: 'consumer.heartbeat' },
    listeners,
    on: jest.fn((event: string, listener: (event: unknown) => void): void => {
      listeners.set(event, listener);
    }),
  };
  const kafka = { consumer: jest.fn(() => kafkaConsumer) } as unknown as Kafka;
  const producer = {
    sendMessages: jest.fn(async (topic: string, messages: Message[]) => {
      if (options.sendMessages) await options.sendMessages(topic, messages);
      const { offset } = JSON.parse(String(messages[0].value));
      log.push(`dlq ${offset}`);
      return [];
    }),
  };
  const consumer = new BatchConsumer<Value>({
    kafka,
    groupId: GROUP,
    topics: [TOPIC],
    namer: new TopicNamer('ci.'),
    decode,
    handle: async (messages) => {
      handled.push(messages);
      log.push(`handle ${messages.map((m) => m.offset).join(',')}`);
      await options.handle(messages.map((m) => m.value.n));
    },
    deadLetter: { producer: producer as unknown as TopicProducer, topic: DLQ },
    logger: createLogger('test', 'silent'),
    registry: options.registry,
    retry: { initialBackoffMs: 1, maxBackoffMs: 2, multiplier: 2, maxRetries: 2, ...options.retry },
    maxHandlerBatch: options.maxHandlerBatch,
    resume: options.resume,
    onHandlerFailure: options.onHandlerFailure,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    crashRestartDelayMs: 1,
    liveness: options.liveness ?? new LivenessRegistry(),
  });
  await consumer.start();

  const heartbeat = jest.fn(async () => undefined);
  const resolveOffset = jest.fn((offset: string) => log.push(`resolve ${offset}`));
  const batch = (
    messages: KafkaMessage[],
    {
      highWatermark = String(Number(messages[messages.length - 1].offset) + 1),
      isStale = () => false,
    }: { highWatermark?: string; isStale?: () => boolean } = {},
  ) => {
    if (!eachBatch) throw new Error('consumer.run was not called with eachBatch');
    const payload = {
      batch: { topic: TOPIC, partition: 2, highWatermark, messages },
      resolveOffset,
      heartbeat,
      isRunning: () => true,
      isStale,
    } as unknown as EachBatchPayload;
    return eachBatch(payload);
  };
  /** Dead-letter record values sent to the DLQ, parsed. */
  const deadLetters = () =>
    producer.sendMessages.mock.calls.map(([topic, messages]) => {
      expect(topic).toBe(DLQ);
      expect(messages).toHaveLength(1);
      return { ...messages[0], value: JSON.parse(String(messages[0].value)) };
    });
  return { consumer, kafka, kafkaConsumer, producer, batch, log, handled, heartbeat, resolveOffset, deadLetters };
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('BatchConsumer', () => {
  it('subscribes to its topics and runs with manual offset resolution', async () => {
    const { kafka, kafkaConsumer } = await setup({ handle: () => undefined });
    expect(kafka.consumer).toHaveBeenCalledWith(expect.objectContaining({ groupId: GROUP, allowAutoTopicCreation: false }));
    expect(kafkaConsumer.subscribe).toHaveBeenCalledWith({ topics: [TOPIC], fromBeginning: true });
    expect(kafkaConsumer.run).toHaveBeenCalledWith(expect.objectContaining({ eachBatchAutoResolve: false }));
  });

  it('gives the handler decoded records and resolves the last offset only after handling', async () => {
    const { batch, log, handled, heartbeat } = await setup({ handle: () => undefined });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await batch([record(10, undefined, { traceparent: Buffer.from(traceparent), correlationid: 'corr-1' }), record(11), record(12)]);
    expect(log).toEqual(['handle 10,11,12', 'resolve 12']);
    const [first] = handled[0];
    expect(first).toMatchObject({ topic: TOPIC, partition: 2, offset: '10', key: 'key-10', value: { n: 10 }, timestamp: '1714558530000' });
    expect(first.headers).toEqual({ traceparent, correlationid: 'corr-1' });
    expect(first.trace).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      correlationId: 'corr-1',
      causationId: `${TOPIC}/2/10`,
    });
    expect(heartbeat).toHaveBeenCalled();
  });

  it('treats a rebalance seen by the heartbeat after a handled slice as a rebalance, not a handler failure', async () => {
    const { batch, log, heartbeat, deadLetters } = await setup({ handle: () => undefined });
    const rebalancing = Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS', retriable: false });
    heartbeat.mockRejectedValueOnce(rebalancing);
    await expect(batch([record(0), record(1)])).rejects.toBe(rebalancing);
    // Handled once, resolved once: kafkajs commits it and the next owner starts after it.
    expect(log).toEqual(['handle 0,1', 'resolve 1']);
    expect(deadLetters()).toEqual([]);
  });

  it('hands the batch over in slices of maxHandlerBatch, resolving each in order', async () => {
    const { batch, log } = await setup({ handle: () => undefined, maxHandlerBatch: 2 });
    await batch([record(0), record(1), record(2), record(3), record(4)]);
    expect(log).toEqual(['handle 0,1', 'resolve 1', 'handle 2,3', 'resolve 3', 'handle 4', 'resolve 4']);
  });

  it('retries a retriable failure and resolves once it succeeds', async () => {
    let calls = 0;
    const { batch, log, producer } = await setup({
      handle: () => {
        if (++calls === 1) throw retriable();
      },
    });
    await batch([record(0), record(1)]);
    expect(log).toEqual(['handle 0,1', 'handle 0,1', 'resolve 1']);
    expect(producer.sendMessages).not.toHaveBeenCalled();
  });

  it('splits a failing slice and dead-letters only the poison record after its retries', async () => {
    const { batch, log, deadLetters } = await setup({
      handle: (values) => {
        if (values.includes(2)) throw retriable('record 2 keeps timing out');
      },
    });
    await batch([record(0), record(1), record(2), record(3)]);
    expect(log).toEqual([
      // the whole slice: first attempt and two retries
      'handle 0,1,2,3',
      'handle 0,1,2,3',
      'handle 0,1,2,3',
      // then one record at a time
      'handle 0',
      'resolve 0',
      'handle 1',
      'resolve 1',
      'handle 2',
      'handle 2',
      'handle 2',
      'dlq 2',
      'resolve 2',
      'handle 3',
      'resolve 3',
    ]);
    const [letter] = deadLetters();
    expect(letter.key).toEqual(Buffer.from('key-2'));
    expect(letter.value).toMatchObject({
      code: 'FEATURES.REDIS_DOWN',
      reason: 'record 2 keeps timing out',
      retriable: true,
      attempts: 3,
      sourceTopic: 'retail.events.v1',
      partition: 2,
      offset: '2',
      consumerGroup: GROUP,
    });
    expect(Buffer.from(letter.value.value, 'base64').toString()).toBe('{"n":2}');
  });

  it('dead-letters a non-retriable failure without retrying it', async () => {
    const { batch, log, deadLetters } = await setup({
      handle: (values) => {
        if (values.includes(1)) throw fatal();
      },
    });
    await batch([record(0), record(1), record(2)]);
    expect(log).toEqual(['handle 0,1,2', 'handle 0', 'resolve 0', 'handle 1', 'dlq 1', 'resolve 1', 'handle 2', 'resolve 2']);
    expect(deadLetters()[0].value).toMatchObject({ code: 'FEATURES.BAD_EVENT', retriable: false, attempts: 1, offset: '1' });
  });

  it('retries a failure kafkajs gave up on with a refused connection inside, instead of dead-lettering a valid record', async () => {
    // What kafkajs throws when an admin call meets a stopped broker: not retriable on the outside, a connection error inside.
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError', retriable: true, code: 'ECONNREFUSED' });
    const gaveUp = Object.assign(new Error(refused.message, { cause: refused }), { name: 'KafkaJSNonRetriableError', retriable: false });
    let calls = 0;
    const { batch, log, producer } = await setup({
      handle: () => {
        if (++calls === 1) throw gaveUp;
      },
    });
    await batch([record(0), record(1)]);
    expect(log).toEqual(['handle 0,1', 'handle 0,1', 'resolve 1']);
    expect(producer.sendMessages).not.toHaveBeenCalled();
  });

  it('with onHandlerFailure hold, retries a non-retriable failure past maxRetries and never dead-letters', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    let calls = 0;
    const { batch, log, producer } = await setup({
      registry,
      onHandlerFailure: 'hold',
      retry: { maxRetries: 1 },
      handle: () => {
        if (++calls <= 4) throw fatal('a bug, not the record');
      },
    });
    await batch([record(0), record(1)]);
    // the whole slice each time: nothing is split, nothing dead-lettered
    expect(log).toEqual(['handle 0,1', 'handle 0,1', 'handle 0,1', 'handle 0,1', 'handle 0,1', 'resolve 1']);
    expect(producer.sendMessages).not.toHaveBeenCalled();
    expect(await metricValue(registry, 'kafka_consumer_held_failures_total', { group: GROUP, topic: TOPIC })).toBe(4);
  });

  it('with onHandlerFailure hold, stops during the hold without resolving anything', async () => {
    let failed!: () => void;
    const firstFailure = new Promise<void>((resolve) => (failed = resolve));
    const { consumer, batch, log, producer } = await setup({
      onHandlerFailure: 'hold',
      retry: { initialBackoffMs: 60_000, maxBackoffMs: 60_000, maxRetries: 0 },
      handle: () => {
        failed();
        throw fatal();
      },
    });
    const running = batch([record(0)]);
    await firstFailure;
    await consumer.stop();
    await expect(running).resolves.toBeUndefined();
    expect(log).toEqual(['handle 0']);
    expect(producer.sendMessages).not.toHaveBeenCalled();
  });

  it('dead-letters at the first failure when maxRetries is 0', async () => {
    const { batch, log, deadLetters } = await setup({
      retry: { maxRetries: 0 },
      handle: () => {
        throw retriable();
      },
    });
    await batch([record(5)]);
    expect(log).toEqual(['handle 5', 'dlq 5', 'resolve 5']);
    expect(deadLetters()[0].value.attempts).toBe(1);
  });

  it('dead-letters a record that cannot be decoded at once, after handling the records before it', async () => {
    const garbage = Buffer.from([0xff, 0xfe, 0x7b]);
    const { batch, log, deadLetters } = await setup({ handle: () => undefined });
    await batch([record(0), record(1), { ...record(2), value: garbage }, record(3)]);
    expect(log).toEqual(['handle 0,1', 'resolve 1', 'dlq 2', 'resolve 2', 'handle 3', 'resolve 3']);
    const [letter] = deadLetters();
    expect(letter.value).toMatchObject({ code: MALFORMED_RECORD, retriable: false, attempts: 1, offset: '2' });
    expect(Buffer.from(letter.value.value, 'base64').equals(garbage)).toBe(true);
  });

  it('fails the batch without resolving the poison record when dead-lettering fails', async () => {
    const { batch, log } = await setup({
      handle: (values) => {
        if (values.includes(1)) throw fatal();
      },
      sendMessages: async () => {
        throw new StoreloopError('MESSAGING.PRODUCE_FAILED', 'dlq unavailable', { retriable: true });
      },
    });
    await expect(batch([record(0), record(1), record(2)])).rejects.toThrow('dlq unavailable');
    // record 1 is neither resolved (so it is redelivered) nor followed by record 2
    expect(log).toEqual(['handle 0,1,2', 'handle 0', 'resolve 0', 'handle 1']);
  });

  it('fails the batch when a decode failure cannot be dead-lettered', async () => {
    const { batch, log } = await setup({
      handle: () => undefined,
      sendMessages: async () => {
        throw new Error('dlq unavailable');
      },
    });
    await expect(batch([record(0), record(1, 'not json'), record(2)])).rejects.toThrow('dlq unavailable');
    expect(log).toEqual(['handle 0', 'resolve 0']);
  });

  it('stops during a backoff without resolving or dead-lettering the failing record', async () => {
    let failed!: () => void;
    const firstFailure = new Promise<void>((resolve) => (failed = resolve));
    const { consumer, kafkaConsumer, batch, log, producer } = await setup({
      retry: { initialBackoffMs: 60_000, maxBackoffMs: 60_000, maxRetries: 5 },
      handle: () => {
        failed();
        throw retriable();
      },
    });
    const running = batch([record(0), record(1)]);
    await firstFailure;
    await consumer.stop();
    await expect(running).resolves.toBeUndefined();
    expect(kafkaConsumer.disconnect).toHaveBeenCalledTimes(1);
    expect(log).toEqual(['handle 0,1']);
    expect(producer.sendMessages).not.toHaveBeenCalled();
  });

  it('handles nothing of a batch kafkajs reports stale (after a rebalance)', async () => {
    const { batch, log } = await setup({ handle: () => undefined });
    await batch([record(0), record(1)], { isStale: () => true });
    expect(log).toEqual([]);
  });

  it('stops handling slices once the batch turns stale', async () => {
    let stale = false;
    const { batch, log } = await setup({
      maxHandlerBatch: 1,
      handle: () => {
        stale = true;
      },
    });
    await batch([record(0), record(1), record(2)], { isStale: () => stale });
    expect(log).toEqual(['handle 0', 'resolve 0']);
  });

  it('reports lag, outcomes and retries in the metrics registry', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    let calls = 0;
    const { batch } = await setup({
      registry,
      handle: (values) => {
        calls++;
        if (calls === 1) throw retriable();
        if (values.includes(7)) throw fatal();
      },
    });
    await batch([record(5), record(6), record(7)], { highWatermark: '20' });
    const labels = { group: GROUP, topic: TOPIC };
    expect(await metricValue(registry, 'kafka_consumer_records_total', { ...labels, outcome: 'handled' })).toBe(2);
    expect(await metricValue(registry, 'kafka_consumer_records_total', { ...labels, outcome: 'dead_lettered' })).toBe(1);
    expect(await metricValue(registry, 'kafka_consumer_retries_total', labels)).toBe(1);
    // high watermark 20, last processed offset 7: offsets 8..19 are still to come
    expect(await metricValue(registry, 'kafka_consumer_lag', { ...labels, partition: '2' })).toBe(12);
  });

  it('reports zero lag once the partition is caught up, including after a dead-lettered decode failure', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    const { batch } = await setup({ registry, handle: () => undefined });
    await batch([record(0), record(1, 'not json')], { highWatermark: '2' });
    expect(await metricValue(registry, 'kafka_consumer_lag', { group: GROUP, topic: TOPIC, partition: '2' })).toBe(0);
    expect(await metricValue(registry, 'kafka_consumer_records_total', { group: GROUP, topic: TOPIC, outcome: 'handled' })).toBe(1);
  });

  it('stops reporting the lag of a partition assigned elsewhere at a rebalance, and of every partition once stopped', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    const { batch, consumer, kafkaConsumer } = await setup({ registry, handle: () => undefined });
    const join = (partitions: number[]) => kafkaConsumer.listeners.get('consumer.group_join')?.({ payload: { memberAssignment: { [TOPIC]: partitions } } });
    const lag = () => metricValue(registry, 'kafka_consumer_lag', { group: GROUP, topic: TOPIC, partition: '2' });
    join([1, 2]);
    await batch([record(0)], { highWatermark: '9' });
    expect(await lag()).toBe(8);
    // Still ours after the rebalance: the value stays until the next batch updates it.
    join([2, 3]);
    expect(await lag()).toBe(8);
    join([0, 1]);
    expect(await lag()).toBeUndefined();
    join([2]);
    await batch([record(1)], { highWatermark: '4' });
    expect(await lag()).toBe(2);
    await consumer.stop();
    expect(await lag()).toBeUndefined();
  });

  describe('liveness', () => {
    it('registers while running, goes silent without kafkajs activity, and every fetch or heartbeat counts as progress', async () => {
      const liveness = new LivenessRegistry();
      const { consumer, kafkaConsumer } = await setup({ liveness, handle: () => undefined });
      const name = `kafka-consumer:${GROUP}`;
      expect(liveness.size).toBe(1);
      const later = Date.now() + 400_000;
      expect(liveness.evaluate(300_000, later)).toEqual({ alive: false, stalled: [{ name, silentForMs: expect.any(Number) }] });
      expect(liveness.evaluate(300_000, later).stalled[0].silentForMs).toBeGreaterThan(399_000);
      // Off when the limit is 0.
      expect(liveness.evaluate(0, later).alive).toBe(true);
      for (const event of ['consumer.fetch_start', 'consumer.heartbeat', 'consumer.group_join']) {
        const before = consumer.silentForMs(later);
        await new Promise((resolve) => setTimeout(resolve, 5));
        kafkaConsumer.listeners.get(event)?.({ payload: { memberAssignment: {} } });
        expect(consumer.silentForMs(later)).toBeLessThan(before ?? 0);
      }
      await consumer.stop();
      expect(consumer.silentForMs()).toBeNull();
      expect(liveness.size).toBe(0);
      expect(liveness.evaluate(300_000, later).alive).toBe(true);
    });

    it('exports when it last showed progress, per group, until stopped', async () => {
      const registry = createMetricsRegistry('t', { defaultMetrics: false });
      const before = Date.now() / 1_000;
      const { consumer } = await setup({ registry, handle: () => undefined });
      const value = await metricValue(registry, 'kafka_consumer_last_activity_timestamp_seconds', { group: GROUP });
      expect(value).toBeGreaterThanOrEqual(Math.floor(before));
      expect(value).toBeLessThanOrEqual(Date.now() / 1_000);
      await consumer.stop();
      expect(await metricValue(registry, 'kafka_consumer_last_activity_timestamp_seconds', { group: GROUP })).toBeUndefined();
    });

    it('counts a crash as progress: a consumer failing and being restarted is not hung', async () => {
      const { consumer, kafkaConsumer } = await setup({ handle: () => undefined });
      const later = Date.now() + 400_000;
      const before = consumer.silentForMs(later) ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 5));
      kafkaConsumer.listeners.get('consumer.crash')?.({ payload: { error: new Error('broker down'), groupId: GROUP, restart: true } });
      expect(consumer.silentForMs(later)).toBeLessThan(before);
    });

    it('stays alive while a handler attempt runs longer than the limit (a hold during a Redis outage)', async () => {
      const { consumer, batch } = await setup({
        heartbeatIntervalMs: 10,
        handle: () => new Promise((resolve) => setTimeout(resolve, 60)),
      });
      const started = Date.now();
      await batch([record(0)]);
      // The attempt's keep-alive ticks moved the last activity into the attempt.
      expect(consumer.silentForMs(started + 1_000)).toBeLessThan(1_000 - 20);
    });
  });

  it('does not report the lag of a slice that ends after its partition moved to another member', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    let join: (partitions: number[]) => void = () => undefined;
    const { batch, kafkaConsumer } = await setup({ registry, handle: () => join([0, 1]) });
    join = (partitions) => kafkaConsumer.listeners.get('consumer.group_join')?.({ payload: { memberAssignment: { [TOPIC]: partitions } } });
    await batch([record(0)], { highWatermark: '9' });
    expect(await metricValue(registry, 'kafka_consumer_lag', { group: GROUP, topic: TOPIC, partition: '2' })).toBeUndefined();
  });

  it('heartbeats while a slow handler attempt runs, so the group keeps the member', async () => {
    const { batch, heartbeat } = await setup({
      heartbeatIntervalMs: 10,
      handle: () => new Promise((resolve) => setTimeout(resolve, 80)),
    });
    await batch([record(0)]);
    // At least the beats during the attempt, besides the one after it.
    expect(heartbeat.mock.calls.length).toBeGreaterThanOrEqual(4);
  });

  it('stops a batch at its next step once the group rejoined meanwhile: its partition may be someone else\'s', async () => {
    const { batch, log, kafkaConsumer } = await setup({
      maxHandlerBatch: 1,
      handle: (values) => {
        if (values[0] === 0) kafkaConsumer.listeners.get('consumer.group_join')?.({ payload: { memberAssignment: { [TOPIC]: [2] } } });
      },
    });
    await batch([record(0), record(1), record(2)]);
    expect(log).toEqual(['handle 0', 'resolve 0']);
  });

  describe('with resume (positions kept by the handler\'s own store)', () => {
    it('asks the store once per assignment when the first batch and the repositioning ask together', async () => {
      let answer!: (offset: string) => void;
      const resume = jest.fn(() => new Promise<string>((resolve) => (answer = resolve)));
      const { batch, log, kafkaConsumer } = await setup({ handle: () => undefined, resume });
      kafkaConsumer.listeners.get('consumer.group_join')?.({ payload: { memberAssignment: { [TOPIC]: [2] } } });
      const handling = batch([record(0), record(1)]);
      await new Promise((resolve) => setImmediate(resolve));
      answer('0');
      await handling;
      // One take-over, one position: the batch is handled from it and not sent back under itself.
      expect(resume).toHaveBeenCalledTimes(1);
      expect(log.filter((l) => l.startsWith('seek'))).toHaveLength(1);
      expect(log).toContain('handle 0,1');
    });

    it('skips records before the stored position, resolving them, and hands over the rest', async () => {
      const resume = jest.fn(async () => '5');
      const { batch, log } = await setup({ handle: () => undefined, resume });
      await batch([record(3), record(4), record(5), record(6)]);
      expect(resume).toHaveBeenCalledWith(TOPIC, 2);
      expect(log).toEqual(['resolve 4', 'handle 5,6', 'resolve 6']);
    });

    it('seeks back once when the first record fetched is past the stored position, then accepts a gap it cannot read', async () => {
      const { batch, log } = await setup({ handle: () => undefined, resume: async () => '2' });
      await batch([record(5), record(6)]);
      expect(log).toEqual(['seek 2@2']);
      // After the seek, offsets 2 and 3 are not deliverable (transaction markers, aborted records).
      await batch([record(4), record(5)]);
      expect(log).toEqual(['seek 2@2', 'handle 4,5', 'resolve 5']);
    });

    it('continues from its own progress without asking the store again', async () => {
      const resume = jest.fn(async () => '0');
      const { batch, log } = await setup({ handle: () => undefined, resume });
      await batch([record(0), record(1)]);
      // A gap after our own progress (a transaction marker at 2) is normal: no seek.
      await batch([record(3)]);
      expect(resume).toHaveBeenCalledTimes(1);
      expect(log).toEqual(['handle 0,1', 'resolve 1', 'handle 3', 'resolve 3']);
    });

    it('drops a batch fetched before a seek', async () => {
      const { batch, log } = await setup({ handle: () => undefined, resume: async () => '0' });
      await batch([record(0)], { isStale: () => true });
      expect(log).toEqual([]);
    });

    it('on RepositionRequested asks the store for every assigned partition and seeks each there, even one with nothing to fetch', async () => {
      const stored = new Map([
        [2, '0'],
        [7, '0'],
      ]);
      const resume = jest.fn(async (_topic: string, partition: number) => stored.get(partition) ?? '0');
      let wiped = false;
      const { batch, log, kafkaConsumer } = await setup({
        resume,
        handle: () => {
          if (wiped) throw new RepositionRequested('store wiped');
        },
      });
      kafkaConsumer.listeners.get('consumer.group_join')?.({ payload: { memberAssignment: { [TOPIC]: [2, 7] } } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(log).toEqual(['seek 2@0', 'seek 7@0']);
      await batch([record(0), record(1)]);
      wiped = true;
      log.length = 0;
      await batch([record(2)]);
      await new Promise((resolve) => setImmediate(resolve));
      // Nothing resolved for the failed slice; both partitions sent back to where the store says.
      expect(log).toEqual(['handle 2', 'seek 2@0', 'seek 7@0']);
    });
  });
});

/** Polls `condition` every 5 ms until it holds, failing with `description` after `timeoutMs`. */
async function waitFor(condition: () => boolean | Promise<boolean>, { timeoutMs, description }: { timeoutMs: number; description: string }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('BatchConsumer after a crash kafkajs does not restart', () => {
  const crash = (kafkaConsumer: { listeners: Map<string, (event: unknown) => void> }, restart: boolean) =>
    kafkaConsumer.listeners.get('consumer.crash')?.({ payload: { error: new TypeError('x is undefined'), groupId: GROUP, restart } });

  it('connects and runs the consumer again, with the same eachBatch, and counts the restart', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const { consumer, kafkaConsumer, batch, log } = await setup({ handle: () => undefined, registry });
    crash(kafkaConsumer, false);
    await waitFor(() => kafkaConsumer.run.mock.calls.length === 2, { timeoutMs: 5_000, description: 'a second run' });
    expect(kafkaConsumer.connect).toHaveBeenCalledTimes(2);
    expect(kafkaConsumer.run.mock.calls[1][0]).toBe(kafkaConsumer.run.mock.calls[0][0]);
    await waitFor(async () => (await metricValue(registry, 'kafka_consumer_restarts_total', { group: GROUP })) === 1, { timeoutMs: 5_000, description: 'the restart counted' });
    await batch([record(0), record(1)]);
    expect(log).toEqual(['handle 0,1', 'resolve 1']);
    await consumer.stop();
  });

  it('leaves a crash kafkajs restarts to kafkajs, and restarts nothing once stopped', async () => {
    const { consumer, kafkaConsumer } = await setup({ handle: () => undefined });
    crash(kafkaConsumer, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kafkaConsumer.run).toHaveBeenCalledTimes(1);
    await consumer.stop();
    crash(kafkaConsumer, false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kafkaConsumer.run).toHaveBeenCalledTimes(1);
  });

  it('tries again while the restart fails, and when the restarted consumer crashes again at once', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const { consumer, kafkaConsumer } = await setup({ handle: () => undefined, registry });
    kafkaConsumer.connect.mockRejectedValueOnce(new Error('Connection refused'));
    // The second try's join crashes (kafkajs calls its crash handler inside run, then run resolves).
    kafkaConsumer.run.mockImplementationOnce(async () => {
      crash(kafkaConsumer, false);
    });
    crash(kafkaConsumer, false);
    await waitFor(() => kafkaConsumer.run.mock.calls.length === 3, { timeoutMs: 5_000, description: 'a third run' });
    await waitFor(async () => (await metricValue(registry, 'kafka_consumer_restarts_total', { group: GROUP })) === 1, { timeoutMs: 5_000, description: 'one restart counted' });
    expect(kafkaConsumer.connect).toHaveBeenCalledTimes(4);
    await consumer.stop();
  });
});
