import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaJSNonRetriableError, KafkaJSProtocolError, type Kafka, type KafkaMessage, type Message, type ProducerRecord } from 'kafkajs';
import { EventType, TOPICS, exampleEvent, parseEvent, parseTopicPayload } from '@storeloop/contracts';
import { TopicNamer, contractDecoder } from '@storeloop/messaging';
import { Registry, createLogger } from '@storeloop/observability';
import { waitFor } from '@storeloop/testing';
import { FEEDBACK_INVALID, FEEDBACK_UNAVAILABLE, SPOOL_UNAVAILABLE, FeedbackLog, feedbackLogOptions, feedbackRecord, recordRejection, feedbackLogSettingsSchema, type FeedbackEvent, type FeedbackLogOptions } from './feedback-log';
import { FeedbackSpool, encodeFrame } from './spool';

const logger = createLogger('feedback-log-test', 'silent');
const namer = new TopicNamer('unit-');
const TOPIC = 'unit-retail.feedback.v1';

const POISON = 'poison';

/** What kafkajs throws when the broker refuses a record for good. */
function tooLarge(): Error {
  const protocol = new KafkaJSProtocolError({ message: 'The request included a message larger than the max message size', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false } as unknown as Error);
  return Object.assign(new KafkaJSNonRetriableError(protocol), { cause: protocol });
}

/** A producer whose broker answers, fails or never answers, as the test says. */
class FakeBroker {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  readonly sends: { topic: string; messages: Message[] }[] = [];
  probes = 0;

  get values(): string[] {
    return this.sends.flatMap((s) => s.messages.map((m) => JSON.parse(String(m.value)).id as string));
  }

  kafka(): Kafka {
    const producer = {
      connect: async () => {
        if (this.mode !== 'ok') throw new Error('connect ECONNREFUSED');
      },
      disconnect: async () => undefined,
      send: (record: ProducerRecord) => {
        if (this.mode === 'fail') return Promise.reject(new Error('broker unreachable'));
        if (this.mode === 'hang') return new Promise(() => undefined);
        if (record.messages.some((m) => String(m.value).includes(POISON))) return Promise.reject(tooLarge());
        this.sends.push({ topic: record.topic, messages: record.messages });
        return Promise.resolve([{ topicName: record.topic, partition: 0, errorCode: 0 }]);
      },
    };
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: (request?: { topics?: string[] }) => {
        this.probes++;
        if (this.mode === 'fail') return Promise.reject(new Error('broker unreachable'));
        if (this.mode === 'hang') return new Promise(() => undefined);
        // One partition per topic (the producer pins records to partitions by this count).
        return Promise.resolve({ topics: (request?.topics ?? []).map((name) => ({ name, partitions: [{ partitionId: 0 }] })) });
      },
    };
    return { producer: () => producer, admin: () => admin } as unknown as Kafka;
  }
}

function served(n: number | string, user = `user-${Number(n) % 4}`): FeedbackEvent {
  const id = typeof n === 'number' ? `evt-${String(n).padStart(5, '0')}` : `evt-${n}`;
  const parsed = parseTopicPayload(TOPICS.feedback.name, exampleEvent(EventType.RecommendationServed, { id, data: { userId: user, recommendationId: `rec-${n}` } }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

function events(from: number, to: number): FeedbackEvent[] {
  return Array.from({ length: to - from }, (_, i) => served(from + i));
}

function ids(from: number, to: number): string[] {
  return events(from, to).map((e) => e.id);
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

describe('FeedbackLog', () => {
  let dir: string;
  let broker: FakeBroker;
  let registry: Registry;
  const logs: FeedbackLog[] = [];

  function createLog(overrides: Partial<FeedbackLogOptions> = {}): FeedbackLog {
    const log = new FeedbackLog({
      kafka: broker.kafka(),
      namer,
      logger,
      registry,
      settings: { spoolDir: dir, spoolMaxBytes: 1024 * 1024, batchSize: 3, lingerMs: 1, sendTimeoutMs: 50, retryBackoffMs: 5, ...overrides },
    });
    logs.push(log);
    return log;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storeloop-feedback-'));
    broker = new FakeBroker();
    registry = new Registry();
  });

  afterEach(async () => {
    broker.mode = 'ok';
    for (const log of logs.splice(0)) await log.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  it('reads its settings from the environment with documented defaults', () => {
    const settings = feedbackLogSettingsSchema.parse({});
    expect(feedbackLogOptions(settings)).toEqual({
      spoolDir: '.local/inference-spool',
      spoolMaxBytes: 256 * 1024 * 1024,
      batchSize: 500,
      lingerMs: 20,
      sendTimeoutMs: 5000,
      retryBackoffMs: 500,
      queueMax: 100_000,
    });
    expect(feedbackLogSettingsSchema.safeParse({ INFERENCE_IMPRESSION_BATCH: '0' }).success).toBe(false);
  });

  it('sends in batches of at most batchSize, keyed by user, decodable by the features consumer', async () => {
    const log = createLog();
    await log.start();
    log.append(events(0, 2));
    log.append(events(2, 7));
    await waitFor(() => broker.values.length === 7, { description: '7 sent' });

    expect(broker.sends.map((s) => s.messages.length)).toEqual([3, 3, 1]);
    expect(broker.values).toEqual(ids(0, 7));
    const first = broker.sends[0].messages[0];
    expect(broker.sends[0].topic).toBe(TOPIC);
    expect(first.key).toBe('user-0');
    expect(first.headers).toMatchObject({ 'content-type': expect.stringContaining('cloudevents'), causationid: 'evt-00000' });
    const decoded = contractDecoder(TOPICS.feedback.name)({ value: Buffer.from(String(first.value)), offset: '0' } as KafkaMessage, TOPIC);
    expect(decoded).toEqual(served(0));
    expect(await metric(registry, 'inference_impressions_sent_total', { via: 'direct' })).toBe(7);
  });

  it('gathers appends of the same moment into one request', async () => {
    const log = createLog({ batchSize: 10, lingerMs: 5 });
    await log.start();
    log.append(events(0, 1));
    log.append(events(1, 2));
    log.append(events(2, 3));
    await waitFor(() => broker.values.length === 3);
    expect(broker.sends).toHaveLength(1);
  });

  it('spools what Kafka does not take, and appendDurably says so', async () => {
    broker.mode = 'fail';
    const log = createLog();
    await log.start();
    await expect(log.appendDurably(events(0, 4))).resolves.toBe('spooled');
    log.append(events(4, 6));
    await waitFor(() => log.stats().spool.records === 6, { description: '6 spooled' });

    expect(log.stats()).toMatchObject({ kafka: 'down', sent: 0, spooled: 6, dropped: 0 });
    expect(await metric(registry, 'inference_impressions_spooled_total')).toBe(6);
    expect(await metric(registry, 'inference_spool_records')).toBe(6);
    expect(await metric(registry, 'inference_spool_bytes')).toBeGreaterThan(0);
  });

  it('treats a send that never answers as failed', async () => {
    broker.mode = 'hang';
    const log = createLog();
    await log.start();
    await expect(log.appendDurably(events(0, 2))).resolves.toBe('spooled');
  });

  it('drains the spool oldest first once Kafka is back, then sends directly again', async () => {
    broker.mode = 'fail';
    const log = createLog();
    await log.start();
    log.append(events(0, 5));
    await log.appendDurably(events(5, 10));
    broker.mode = 'ok';
    // Appended while the spool is not empty: must come after everything spooled.
    log.append(events(10, 12));
    await waitFor(() => broker.values.length === 12 && !log.stats().spool.draining, { description: 'all 12 sent' });
    expect(broker.values).toEqual(ids(0, 12));
    expect(log.stats()).toMatchObject({ kafka: 'up', spool: { records: 0, bytes: 0, segments: 0 } });
    expect(await readdir(dir)).toEqual([]);

    await expect(log.appendDurably(events(12, 13))).resolves.toBe('kafka');
    expect(await metric(registry, 'inference_impressions_sent_total', { via: 'spool' })).toBeGreaterThanOrEqual(10);
    expect(broker.values).toEqual(ids(0, 13));
  });

  it('drops and counts beyond the spool limit; appendDurably then fails with FEEDBACK_UNAVAILABLE', async () => {
    broker.mode = 'fail';
    const recordBytes = encodeFrame(feedbackRecord(served(0))).length;
    const log = createLog({ spoolMaxBytes: Math.floor(recordBytes * 4.5) });
    await log.start();
    log.append(events(0, 20));
    await waitFor(() => log.stats().spooled + log.stats().dropped === 20, { description: 'all 20 spooled or dropped' });
    expect(log.stats()).toMatchObject({ spooled: 4, dropped: 16 });
    expect(await metric(registry, 'inference_impressions_dropped_total', { reason: 'spool_full' })).toBe(16);

    await expect(log.appendDurably(events(20, 21))).rejects.toMatchObject({ code: FEEDBACK_UNAVAILABLE, retriable: true });
  });

  it('drains a spool a previous run left, on start', async () => {
    broker.mode = 'fail';
    const first = createLog();
    await first.start();
    await first.appendDurably(events(0, 5));
    await first.stop(1000);

    broker.mode = 'ok';
    const second = createLog();
    await second.start();
    await waitFor(() => broker.values.length === 5 && second.stats().spool.records === 0, { description: 'leftover drained' });
    expect(broker.values).toEqual(ids(0, 5));
    expect(await readdir(dir)).toEqual([]);
  });

  it('stop puts what is queued on disk when Kafka does not answer, and refuses later events', async () => {
    broker.mode = 'hang';
    const log = createLog({ lingerMs: 10_000, batchSize: 100 });
    await log.start();
    log.append(events(0, 7));
    await log.stop(200);

    log.append(events(7, 8));
    await expect(log.appendDurably(events(8, 9))).rejects.toMatchObject({ code: FEEDBACK_UNAVAILABLE });
    expect(log.stats().dropped).toBe(2);

    const spool = await FeedbackSpool.open({ dir, maxBytes: 1024 * 1024, logger });
    const segment = await spool.oldest();
    expect(segment?.records.map((r) => JSON.parse(r.value).id)).toEqual(ids(0, 7));
    await spool.close();
  });

  it('stop sends what is queued when Kafka answers', async () => {
    const log = createLog({ lingerMs: 10_000, batchSize: 100 });
    await log.start();
    log.append(events(0, 7));
    await log.stop(1000);
    expect(broker.values).toEqual(ids(0, 7));
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses events of other topics, and durable events the contract does not accept', async () => {
    const log = createLog();
    await log.start();
    const bad = { ...served(1), data: { ...served(1).data, items: [{ sku: 'A', position: 1, score: 1 }, { sku: 'B', position: 1, score: 0 }] } } as FeedbackEvent;
    await expect(log.appendDurably([bad])).rejects.toMatchObject({ code: FEEDBACK_INVALID, message: expect.stringContaining('appears twice') });
    const viewed = parseEvent(exampleEvent(EventType.ProductViewed, { id: 'viewed-1' }));
    if (!viewed.ok) throw new Error('example event invalid');
    const userless = { ...served(3), data: { ...served(3).data, userId: undefined } } as unknown as FeedbackEvent;
    log.append([viewed.event, userless, served(2)]);
    await waitFor(() => broker.values.length === 1);
    expect(broker.values).toEqual(['evt-00002']);
    expect(await metric(registry, 'inference_impressions_dropped_total', { reason: 'invalid' })).toBe(3);
  });

  it('refuses to start without a usable spool directory', async () => {
    await writeFile(join(dir, 'a-file'), 'not a directory');
    const log = createLog({ spoolDir: join(dir, 'a-file', 'spool') });
    await expect(log.start()).rejects.toMatchObject({ code: SPOOL_UNAVAILABLE, message: expect.stringContaining('INFERENCE_SPOOL_DIR') });
  });

  it('probes Kafka with metadata, not records, while it is down', async () => {
    broker.mode = 'fail';
    const log = createLog();
    await log.start();
    await log.appendDurably(events(0, 3));
    await waitFor(() => broker.probes >= 2, { description: 'two probes' });
    expect(broker.sends).toEqual([]);
    broker.mode = 'ok';
    await waitFor(() => broker.values.length === 3);
    expect(broker.values).toEqual(ids(0, 3));
  });

  it('drops a record the broker refuses for good and keeps the rest flowing', async () => {
    broker.mode = 'fail';
    const log = createLog();
    await log.start();
    await log.appendDurably([served(0), served(POISON, 'user-1'), served(2), served(3)]);
    broker.mode = 'ok';
    await waitFor(() => log.stats().spool.records === 0 && broker.values.length === 3, { description: 'spool past the poison record' });
    log.append([served(`${POISON}-2`, 'user-1'), served(4)]);
    await waitFor(() => broker.values.length === 4, { description: 'the record after a second poison one' });

    expect(broker.values).toEqual([...ids(0, 1), ...ids(2, 5)]);
    expect(await metric(registry, 'inference_impressions_dropped_total', { reason: 'rejected' })).toBe(2);
    expect(recordRejection(new Error('ECONNREFUSED'))).toBeUndefined();
  });

  it('bounds the memory queue', async () => {
    broker.mode = 'hang';
    const log = createLog({ queueMax: 5, lingerMs: 10_000, batchSize: 100, sendTimeoutMs: 10_000 });
    await log.start();
    log.append(events(0, 8));
    expect(log.stats()).toMatchObject({ queueLength: 5, dropped: 3 });
    expect(await metric(registry, 'inference_impressions_dropped_total', { reason: 'queue_full' })).toBe(3);
    expect(await metric(registry, 'inference_feedback_queue_length')).toBe(5);
  });
});
