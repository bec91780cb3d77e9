import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { EventType, TOPICS, exampleEvent, parseTopicPayload } from '@storeloop/contracts';
import { TopicNamer, provisionTopics } from '@storeloop/messaging';
import { Registry, createLogger } from '@storeloop/observability';
import { TopicReader, testBrokers, testKafka, uniqueSuffix, waitFor } from '@storeloop/testing';
import { FeedbackLog, type FeedbackEvent } from '../src/feedback/feedback-log';
import { LocalKafkaOutage, deliveryReport } from './support/kafka-outage';

/**
 * The feedback log against the real broker, through an outage: impressions
 * appended while Kafka is stopped return at once and go to the spool; once
 * the broker is back the spool drains and every event is on the topic, in
 * order per user. Stops the shared local broker (integration projects run
 * one at a time) and always starts it again.
 */
const USERS = 50;
const BEFORE = 200;
const DURING = 10_000;
const AFTER = 100;

function impression(n: number): FeedbackEvent {
  const parsed = parseTopicPayload(
    TOPICS.feedback.name,
    exampleEvent(EventType.RecommendationServed, {
      id: `imp-${String(n).padStart(6, '0')}`,
      data: { userId: `user-${n % USERS}`, recommendationId: `rec-${n}` },
    }),
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

function impressions(from: number, to: number): FeedbackEvent[] {
  return Array.from({ length: to - from }, (_, i) => impression(from + i));
}

/** When the spool's first record was acknowledged and when it became empty (ms since epoch), sampled every few ms. */
function sampleDrain(log: FeedbackLog): { stop(): { firstAckMs: number; emptyMs: number } } {
  const sentBefore = log.stats().sent;
  let firstAckMs = 0;
  let emptyMs = 0;
  const timer = setInterval(() => {
    const stats = log.stats();
    if (!firstAckMs && stats.sent > sentBefore) firstAckMs = Date.now();
    if (firstAckMs && !emptyMs && stats.spool.records === 0) emptyMs = Date.now();
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return { firstAckMs, emptyMs };
    },
  };
}

/** Figures for the report, on stdout without Jest's console decoration. */
function report(line: string): void {
  process.stdout.write(`[feedback-spool] ${line}\n`);
}

describe('feedback log through a Kafka outage', () => {
  const namer = new TopicNamer(`it-${uniqueSuffix()}-`);
  const topic = namer.physical(TOPICS.feedback.name);
  const logger = createLogger('feedback-spool-it', process.env.TEST_LOG_LEVEL ?? 'silent');
  let admin: Admin;
  let outage: LocalKafkaOutage;
  let spoolDir: string;
  let log: FeedbackLog | undefined;
  let reader: TopicReader | undefined;

  beforeAll(async () => {
    admin = testKafka('feedback-spool-admin').admin();
    await admin.connect();
    await provisionTopics(admin, [TOPICS.feedback], namer);
    outage = new LocalKafkaOutage(testKafka('feedback-spool-probe'));
    await outage.assertControllable();
    spoolDir = await mkdtemp(join(tmpdir(), 'storeloop-feedback-it-'));
  });

  afterAll(async () => {
    try {
      await outage?.restoreIfDown();
    } finally {
      await log?.stop(5_000);
      await reader?.stop();
      await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin?.disconnect();
      if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    }
  });

  it('spools impressions while Kafka is down and delivers every one, in order per user, once it is back', async () => {
    // Short probe backoff and send timeout so the outage is noticed and left quickly.
    const kafka = new Kafka({ clientId: 'inference-feedback-it', brokers: testBrokers(), logLevel: logLevel.NOTHING, connectionTimeout: 1000 });
    log = new FeedbackLog({
      kafka,
      namer,
      logger,
      registry: new Registry(),
      settings: { spoolDir, spoolMaxBytes: 64 * 1024 * 1024, spoolSegmentBytes: 1024 * 1024, batchSize: 500, lingerMs: 20, sendTimeoutMs: 2000, retryBackoffMs: 200, maxRetryBackoffMs: 1000 },
    });
    await log.start();

    log.append(impressions(0, BEFORE - 1));
    await expect(log.appendDurably(impressions(BEFORE - 1, BEFORE))).resolves.toBe('kafka');

    await outage.stop();
    const during = impressions(BEFORE, BEFORE + DURING);
    const appendStarted = process.hrtime.bigint();
    for (let i = 0; i < during.length; i += 10) log.append(during.slice(i, i + 10));
    const appendMs = Number(process.hrtime.bigint() - appendStarted) / 1e6;
    await waitFor(() => log!.stats().spool.records >= DURING, { timeoutMs: 60_000, description: `${DURING} impressions spooled (${JSON.stringify(log!.stats())})` });
    expect(log.stats()).toMatchObject({ kafka: 'down', queueLength: 0, dropped: 0 });
    expect((await readdir(spoolDir)).length).toBeGreaterThan(1);
    report(`appended ${DURING} impressions in ${DURING / 10} calls while Kafka was down in ${appendMs.toFixed(1)} ms; spool ${log.stats().spool.bytes} bytes`);

    // The drain starts while the restart is still being confirmed: sample from before it.
    const drain = sampleDrain(log);
    await outage.start();
    await waitFor(() => log!.stats().spool.records === 0 && !log!.stats().spool.draining, {
      timeoutMs: 120_000,
      description: `the spool to drain (${JSON.stringify(log.stats())})`,
    });
    const { firstAckMs, emptyMs } = drain.stop();
    report(`drained ${DURING} spooled impressions in ${emptyMs - firstAckMs} ms (first ack from the spool to an empty spool)`);
    expect(await readdir(spoolDir)).toEqual([]);

    await expect(log.appendDurably(impressions(BEFORE + DURING, BEFORE + DURING + AFTER))).resolves.toBe('kafka');

    const appended = impressions(0, BEFORE + DURING + AFTER);
    reader = await new TopicReader(testKafka('feedback-spool-reader'), topic).start();
    await reader.waitForCount(appended.length, { timeoutMs: 60_000 });
    // Resends (at-least-once) would arrive with the rest; wait until the topic's end offsets are all read.
    const offsets = await admin.fetchTopicOffsets(topic);
    const onTopic = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    await reader.waitForCount(onTopic, { timeoutMs: 60_000 });

    const result = deliveryReport(appended, reader.messages);
    report(`on topic ${reader.messages.length} records for ${appended.length} events: ${result.duplicates} duplicate(s)`);
    expect(result).toEqual({ missing: [], duplicates: expect.any(Number), reordered: [], wrongKey: 0 });
    expect(log.stats()).toMatchObject({ kafka: 'up', dropped: 0 });
  });
});
