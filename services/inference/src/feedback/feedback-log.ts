import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { z } from 'zod';
import {
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  MESSAGE_HEADERS,
  TOPICS,
  parseTopicPayload,
  partitionKeyOf,
  type ParsedTopicPayloads,
  type StoreloopEvent,
} from '@storeloop/contracts';
import { TopicProducer, type TopicNamer } from '@storeloop/messaging';
import {
  StoreloopError,
  continueTrace,
  env,
  errorCode,
  errorMessage,
  getOrCreateCounter,
  getOrCreateGauge,
  getOrCreateHistogram,
  traceHeaders,
  withTimeout,
  type Logger,
  type Registry,
} from '@storeloop/observability';
import { FeedbackSpool, type SpoolSegment, type SpooledRecord } from './spool';

const MiB = 1024 * 1024;

/**
 * The feedback log's environment variables (documented in the service
 * README); the service config composes this schema with its others.
 */
export const feedbackLogSettingsSchema = z.object({
  /** Directory of the local spool; relative paths resolve from the working directory. One process per directory. */
  INFERENCE_SPOOL_DIR: z.string().min(1).default('.local/inference-spool'),
  /** Bytes the spool may hold on disk; beyond it records are dropped and counted. */
  INFERENCE_SPOOL_MAX_BYTES: env.int(256 * MiB, { min: 64 * 1024 }),
  /** Most records per Kafka request (and per spool write). */
  INFERENCE_IMPRESSION_BATCH: env.int(500, { min: 1, max: 10_000 }),
  /** How long an impression may wait for others to fill a batch. */
  INFERENCE_IMPRESSION_LINGER_MS: env.int(20, { min: 0, max: 10_000 }),
  /** A send not acknowledged within this time counts as failed: the batch goes to the spool. */
  INFERENCE_KAFKA_SEND_TIMEOUT_MS: env.int(5000, { min: 100, max: 120_000 }),
  /** First pause between probes of Kafka while the spool is not empty; doubles up to 30 s. */
  INFERENCE_SPOOL_RETRY_BACKOFF_MS: env.int(500, { min: 10, max: 60_000 }),
  /** Records held in memory waiting for a batch; beyond it `append` drops and counts, so memory stays bounded. */
  INFERENCE_IMPRESSION_QUEUE_MAX: env.int(100_000, { min: 1 }),
});
/** The variables as parsed: what the service config holds. */
export type FeedbackLogSettings = z.infer<typeof feedbackLogSettingsSchema>;

/** What the FeedbackLog runs with; `feedbackLogOptions` derives it from the settings. */
export interface FeedbackLogOptions {
  spoolDir: string;
  spoolMaxBytes: number;
  batchSize: number;
  lingerMs: number;
  sendTimeoutMs: number;
  retryBackoffMs: number;
  /** Default 100,000. */
  queueMax?: number;
  /** Cap of the probe backoff; default 30 s. */
  maxRetryBackoffMs?: number;
  /** Spool segment size; see SpoolOptions. */
  spoolSegmentBytes?: number;
}

export function feedbackLogOptions(vars: FeedbackLogSettings): FeedbackLogOptions {
  return {
    spoolDir: vars.INFERENCE_SPOOL_DIR,
    spoolMaxBytes: vars.INFERENCE_SPOOL_MAX_BYTES,
    batchSize: vars.INFERENCE_IMPRESSION_BATCH,
    lingerMs: vars.INFERENCE_IMPRESSION_LINGER_MS,
    sendTimeoutMs: vars.INFERENCE_KAFKA_SEND_TIMEOUT_MS,
    retryBackoffMs: vars.INFERENCE_SPOOL_RETRY_BACKOFF_MS,
    queueMax: vars.INFERENCE_IMPRESSION_QUEUE_MAX,
  };
}

/** What retail.feedback.v1 carries: recommendation served (impressions) and clicked events. */
export type FeedbackEvent = ParsedTopicPayloads[typeof TOPICS.feedback.name];

export const FEEDBACK_UNAVAILABLE = 'INFERENCE.FEEDBACK_UNAVAILABLE';
export const FEEDBACK_INVALID = 'INFERENCE.FEEDBACK_INVALID';
/** The spool directory cannot be created or read at start: the service must not start without it. */
export const SPOOL_UNAVAILABLE = 'INFERENCE.SPOOL_UNAVAILABLE';

export type DropReason = 'spool_full' | 'spool_failed' | 'queue_full' | 'stopped' | 'invalid' | 'rejected';
export type DurableOutcome = 'kafka' | 'spooled';

export interface FeedbackLogStats {
  kafka: 'up' | 'down' | 'unknown';
  queueLength: number;
  spool: { dir: string; bytes: number; maxBytes: number; records: number; segments: number; draining: boolean };
  sent: number;
  spooled: number;
  dropped: number;
  lastError?: { code: string; message: string; at: string };
}

export interface FeedbackLogDeps {
  kafka: Kafka;
  namer: TopicNamer;
  logger: Logger;
  registry: Registry;
  settings: FeedbackLogOptions;
}

interface DurableWaiter {
  remaining: number;
  spooled: boolean;
  failure?: StoreloopError;
  resolve(outcome: DurableOutcome): void;
  reject(error: StoreloopError): void;
}

interface Pending {
  event: FeedbackEvent;
  /** Encoded by the send loop, off the request path. */
  record?: SpooledRecord;
  waiter?: DurableWaiter;
}

/** Wakes a waiting loop early: on new work, a full batch or stop. */
class Wakeup {
  private waiters: (() => void)[] = [];

  wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const DEFAULT_QUEUE_MAX = 100_000;
const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** Events encoded between two yields to the event loop, so a big batch does not stall request handling. */
const ENCODE_SLICE = 100;
const FEEDBACK_TYPES: ReadonlySet<string> = new Set(TOPICS.feedback.eventTypes);

function isFeedbackEvent(event: StoreloopEvent): event is FeedbackEvent {
  return FEEDBACK_TYPES.has(event.type);
}

/** Broker answers that condemn a record itself; retrying it can never succeed. Topic-level refusals (authorisation) are not among them. */
const RECORD_REJECTIONS: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP']);

/** The record-level protocol error somewhere in a produce failure's cause chain (TopicProducer and kafkajs both wrap). */
export function recordRejection(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, type, retriable } = e as { name?: unknown; type?: unknown; retriable?: unknown };
    if (name === 'KafkaJSProtocolError' && retriable === false && typeof type === 'string' && RECORD_REJECTIONS.has(type)) return type;
  }
  return undefined;
}

/** The Kafka record of an event: keyed by user, headers as ingestion writes them (trace context, content type). */
export function feedbackRecord(event: FeedbackEvent): SpooledRecord {
  const key: unknown = partitionKeyOf(event);
  // Unvalidated events reach here (see append): without a user the record would lose its partition and its order.
  if (typeof key !== 'string' || key.length === 0) throw new Error('no data.userId to key the record by');
  const trace = continueTrace({
    [MESSAGE_HEADERS.traceparent]: event.traceparent,
    [MESSAGE_HEADERS.tracestate]: event.tracestate,
    [MESSAGE_HEADERS.correlationId]: event.correlationid,
  });
  return {
    key,
    value: JSON.stringify(event),
    headers: { ...traceHeaders({ ...trace, causationId: event.id }), [MESSAGE_HEADERS.contentType]: CLOUDEVENTS_JSON_CONTENT_TYPE },
  };
}

/**
 * Writes impressions and feedback events to retail.feedback.v1 off the
 * request path. `append` only queues; a background loop sends batches with
 * an idempotent producer (acks=all). When Kafka fails or does not answer in
 * time, batches go to a bounded on-disk spool, and every later batch follows
 * them there until a recovery loop has drained the spool, oldest first, so
 * each user's events stay in order.
 *
 * Delivery is at-least-once: a send that timed out may still land, and a
 * crash between Kafka's ack and a segment's deletion resends the segment.
 * Consumers deduplicate by event id, so a duplicate costs nothing.
 */
export class FeedbackLog {
  private readonly producer: TopicProducer;
  /** Probes Kafka with a metadata request while it is down: a probe that times out leaves no record behind to resend. */
  private readonly admin: Admin;
  private adminConnecting?: Promise<void>;
  private adminConnected = false;
  private readonly topic: string;
  private readonly queue: Pending[] = [];
  private readonly wakeup = new Wakeup();
  private readonly drainWakeup = new Wakeup();
  private readonly logger: Logger;
  private readonly settings: FeedbackLogOptions & { queueMax: number; maxRetryBackoffMs: number };
  private spool?: FeedbackSpool;
  private pumpDone?: Promise<void>;
  private drainDone?: Promise<void>;
  private draining = false;
  private durableQueued = 0;
  private kafkaState: FeedbackLogStats['kafka'] = 'unknown';
  private connecting?: Promise<void>;
  private stopping = false;
  private stopDeadline = Infinity;
  private stopped = false;
  private lastError?: FeedbackLogStats['lastError'];
  private readonly totals = { sent: 0, spooled: 0, dropped: 0 };
  private readonly metrics;

  constructor(deps: FeedbackLogDeps) {
    this.logger = deps.logger.child({ component: 'feedback-log' });
    this.settings = {
      queueMax: DEFAULT_QUEUE_MAX,
      maxRetryBackoffMs: DEFAULT_MAX_BACKOFF_MS,
      ...deps.settings,
    };
    this.producer = new TopicProducer(deps.kafka, deps.namer, this.logger, deps.registry);
    this.admin = deps.kafka.admin();
    this.topic = deps.namer.physical(TOPICS.feedback.name);
    const registry = deps.registry;
    this.metrics = {
      sent: getOrCreateCounter(registry, {
        name: 'inference_impressions_sent_total',
        help: 'Feedback events (impressions and outcomes) acknowledged by Kafka, directly or from the spool',
        labelNames: ['via'] as const,
      }),
      spooled: getOrCreateCounter(registry, {
        name: 'inference_impressions_spooled_total',
        help: 'Feedback events written to the local spool because Kafka could not take them',
      }),
      dropped: getOrCreateCounter(registry, {
        name: 'inference_impressions_dropped_total',
        help: 'Feedback events lost: spool full or failing, memory queue full, invalid, or after stop',
        labelNames: ['reason'] as const,
      }),
      spoolBytes: getOrCreateGauge(registry, { name: 'inference_spool_bytes', help: 'Bytes of the local feedback spool on disk' }),
      spoolRecords: getOrCreateGauge(registry, { name: 'inference_spool_records', help: 'Feedback events in the local spool, not yet acknowledged by Kafka' }),
      queueLength: getOrCreateGauge(registry, { name: 'inference_feedback_queue_length', help: 'Feedback events waiting in memory for a batch' }),
      sendSeconds: getOrCreateHistogram(registry, {
        name: 'inference_feedback_send_seconds',
        help: 'Time for Kafka to acknowledge one batch of feedback events (acks=all)',
        labelNames: ['via', 'result'] as const,
        buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
    };
  }

  /**
   * Opens the spool (draining what a previous run left) and starts the send
   * loop. Kafka being down is not an error here: records spool until it is back.
   */
  async start(): Promise<void> {
    if (this.pumpDone) return;
    try {
      this.spool = await FeedbackSpool.open({
        dir: this.settings.spoolDir,
        maxBytes: this.settings.spoolMaxBytes,
        segmentBytes: this.settings.spoolSegmentBytes,
        logger: this.logger,
      });
    } catch (error) {
      throw new StoreloopError(SPOOL_UNAVAILABLE, `cannot open the feedback spool in ${this.settings.spoolDir} (INFERENCE_SPOOL_DIR): ${errorMessage(error)}`, {
        cause: error,
      });
    }
    this.updateSpoolGauges();
    if (!this.spool.isEmpty) {
      this.logger.info({ records: this.spool.records, bytes: this.spool.bytes }, 'spool from a previous run found; draining it to Kafka');
      this.ensureDraining();
    }
    this.pumpDone = this.pump();
  }

  /**
   * Queues events for Kafka and returns at once: no validation, no encoding
   * here (a full contract check costs about 0.2 ms an event). The events are
   * the service's own, built from typed values; the features consumer
   * dead-letters anything its contract refuses. Never throws: a type that
   * belongs on another topic, or a full queue, is logged and counted as dropped.
   */
  append(events: readonly StoreloopEvent[]): void {
    const before = this.queue.length;
    for (const event of events) {
      if (!isFeedbackEvent(event)) {
        this.refuse(event, `${event.type} does not belong on ${TOPICS.feedback.name}`);
      } else if (this.stopping) {
        this.drop([{ event }], 'stopped');
      } else if (this.queue.length >= this.settings.queueMax) {
        this.drop([{ event }], 'queue_full');
      } else {
        this.queue.push({ event });
      }
    }
    this.afterEnqueue(before);
  }

  /**
   * Resolves once every event is acknowledged by Kafka ('kafka') or fsynced
   * in the spool ('spooled' when any of them is). Rejects with
   * INFERENCE.FEEDBACK_UNAVAILABLE when neither could take them, or
   * INFERENCE.FEEDBACK_INVALID for an event the topic's contract refuses.
   */
  appendDurably(events: readonly StoreloopEvent[]): Promise<DurableOutcome> {
    const checked: FeedbackEvent[] = [];
    for (const event of events) {
      // Checked in full here: these come from outside (POST /v1/feedback) and the caller waits anyway.
      const result = parseTopicPayload(TOPICS.feedback.name, event);
      if (!result.ok) {
        return Promise.reject(this.refuse(event, result.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')));
      }
      checked.push(result.value);
    }
    if (checked.length === 0) return Promise.resolve('kafka');
    if (this.stopping) {
      this.drop(checked.map((event) => ({ event })), 'stopped');
      return Promise.reject(new StoreloopError(FEEDBACK_UNAVAILABLE, 'the feedback log is shutting down', { retriable: true }));
    }
    return new Promise<DurableOutcome>((resolve, reject) => {
      const waiter: DurableWaiter = { remaining: checked.length, spooled: false, resolve, reject };
      // Durable writes bypass the queue bound: the caller waits, so they cannot pile up unboundedly.
      const before = this.queue.length;
      for (const event of checked) this.queue.push({ event, waiter });
      this.durableQueued += checked.length;
      this.afterEnqueue(before);
    });
  }

  stats(): FeedbackLogStats {
    return {
      kafka: this.kafkaState,
      queueLength: this.queue.length,
      spool: {
        dir: this.settings.spoolDir,
        bytes: this.spool?.bytes ?? 0,
        maxBytes: this.settings.spoolMaxBytes,
        records: this.spool?.records ?? 0,
        segments: this.spool?.segmentCount ?? 0,
        draining: this.draining,
      },
      ...this.totals,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /**
   * Flushes the queue to Kafka, or to the spool when Kafka does not answer
   * before `timeoutMs` runs short, then stops draining and closes. Events
   * accepted before stop are on Kafka or on disk when this resolves; later
   * ones are refused.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    this.stopDeadline = Date.now() + timeoutMs;
    this.wakeup.notify();
    this.drainWakeup.notify();
    await this.pumpDone;
    await this.settle(this.drainDone, Math.max(0, this.stopDeadline - Date.now()));
    await this.spool?.close();
    await this.settle(this.producer.disconnect(), 2000);
    if (this.adminConnected) await this.settle(this.admin.disconnect(), 2000);
    this.stopped = true;
    this.updateSpoolGauges();
    this.logger.info({ ...this.totals, leftInSpool: this.spool?.records ?? 0 }, 'feedback log stopped');
  }

  private refuse(event: StoreloopEvent, detail: string): StoreloopError {
    this.logger.error({ eventId: event.id, type: event.type, detail }, 'invalid feedback event dropped');
    this.metrics.dropped.inc({ reason: 'invalid' });
    this.totals.dropped++;
    return new StoreloopError(FEEDBACK_INVALID, `feedback event ${event.id} is invalid: ${detail}`);
  }

  /**
   * Kafka records of a batch, yielding now and then: a served list's JSON
   * and trace headers cost tens of microseconds. An event that cannot be
   * encoded (no user to key it by) is refused and left out of the batch.
   */
  private async encode(batch: readonly Pending[]): Promise<Pending[]> {
    const encoded: Pending[] = [];
    for (let i = 0; i < batch.length; i++) {
      if (i > 0 && i % ENCODE_SLICE === 0) await yieldToEventLoop();
      const pending = batch[i];
      try {
        pending.record ??= feedbackRecord(pending.event);
        encoded.push(pending);
      } catch (error) {
        const refusal = this.refuse(pending.event, `cannot be encoded: ${errorMessage(error)}`);
        if (pending.waiter) {
          pending.waiter.failure ??= refusal;
          this.finishOne(pending.waiter);
        }
      }
    }
    return encoded;
  }

  /** Wakes the send loop only when it has something new to decide: first work, a full batch, or a caller waiting. */
  private afterEnqueue(lengthBefore: number): void {
    this.metrics.queueLength.set(this.queue.length);
    const added = this.queue.length > lengthBefore;
    if (added && (lengthBefore === 0 || this.durableQueued > 0 || this.queue.length >= this.settings.batchSize)) this.wakeup.notify();
  }

  /** The send loop: one batch at a time, so batches reach Kafka (or the spool) in append order. */
  private async pump(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        if (this.stopping) return;
        await this.wakeup.wait();
        continue;
      }
      if (!this.stopping && this.durableQueued === 0 && this.queue.length < this.settings.batchSize && this.settings.lingerMs > 0) {
        await this.lingerForBatch();
      }
      const batch = this.queue.splice(0, this.settings.batchSize);
      this.metrics.queueLength.set(this.queue.length);
      for (const item of batch) if (item.waiter) this.durableQueued--;
      await this.deliver(batch);
    }
  }

  private async lingerForBatch(): Promise<void> {
    const until = Date.now() + this.settings.lingerMs;
    while (!this.stopping && this.durableQueued === 0 && this.queue.length < this.settings.batchSize) {
      const left = until - Date.now();
      if (left <= 0) return;
      await this.wakeup.wait(left);
    }
  }

  private async deliver(all: Pending[]): Promise<void> {
    const spool = this.requireSpool();
    const batch = await this.encode(all);
    if (batch.length === 0) return;
    const records = batch.map((p) => p.record as SpooledRecord);
    // While the spool holds anything, new batches queue behind it: per-user order holds.
    const direct = spool.isEmpty && !this.draining;
    const timeoutMs = this.sendTimeout();
    if (direct && timeoutMs > 0) {
      try {
        await this.send(records, 'direct', timeoutMs);
        this.settleBatch(batch, 'kafka');
        return;
      } catch (error) {
        this.markDown(error, 'Kafka did not take a batch; spooling until it is back');
      }
    }
    await this.toSpool(batch, records);
  }

  private async toSpool(batch: Pending[], records: SpooledRecord[]): Promise<void> {
    const spool = this.requireSpool();
    let written = 0;
    let reason: DropReason = 'spool_full';
    try {
      written = (await spool.append(records)).written;
    } catch (error) {
      reason = 'spool_failed';
      this.noteError(error);
      this.logger.error({ err: error, count: batch.length }, 'spool write failed; feedback events lost');
    }
    this.metrics.spooled.inc(written);
    this.totals.spooled += written;
    this.settleBatch(batch.slice(0, written), 'spooled');
    if (written < batch.length) {
      if (reason === 'spool_full') {
        this.logger.warn({ count: batch.length - written, spoolBytes: spool.bytes, maxBytes: spool.maxBytes }, 'spool full; feedback events dropped');
      }
      this.drop(batch.slice(written), reason);
    }
    this.updateSpoolGauges();
    this.ensureDraining();
  }

  private ensureDraining(): void {
    if (this.draining || this.stopping || this.requireSpool().isEmpty) return;
    this.draining = true;
    this.drainDone = this.drain();
  }

  /**
   * Recovery loop: sends the spool, oldest segment first, in batches; a
   * failure pauses with doubling backoff and retries the same records. Ends
   * when the spool is empty (the send loop then sends directly again) or on stop.
   */
  private async drain(): Promise<void> {
    const spool = this.requireSpool();
    let backoff = this.settings.retryBackoffMs;
    try {
      while (!this.stopping) {
        const segment = await spool.oldest();
        if (!segment) return;
        let done = 0;
        while (done < segment.records.length && !this.stopping) {
          const slice = segment.records.slice(done, done + this.settings.batchSize);
          const handled = await this.trySendSpooled(segment, slice);
          done += handled;
          if (handled > 0) {
            backoff = this.settings.retryBackoffMs;
          } else if (!this.stopping) {
            await this.drainWakeup.wait(backoff);
            backoff = Math.min(backoff * 2, this.settings.maxRetryBackoffMs);
          }
        }
        this.updateSpoolGauges();
      }
    } catch (error) {
      // Reading the spool failed (disk trouble): stop draining; the next append retries.
      this.noteError(error);
      this.logger.error({ err: error }, 'reading the spool failed; draining paused');
    } finally {
      this.draining = false;
      if (spool.isEmpty) this.logger.info('spool drained; sending to Kafka directly');
    }
  }

  /** How many records of the slice are done with (acknowledged, or rejected by the broker); 0 when Kafka failed. */
  private async trySendSpooled(segment: SpoolSegment, slice: readonly SpooledRecord[]): Promise<number> {
    try {
      if (this.kafkaState !== 'up') await this.probe();
      await this.send(slice, 'spool', this.settings.sendTimeoutMs);
    } catch (error) {
      if (recordRejection(error)) return this.sendOneByOne(segment, slice);
      this.markDown(error, 'Kafka still unavailable; spool kept');
      return 0;
    }
    await this.acknowledge(segment, slice.length);
    return slice.length;
  }

  /**
   * The broker refused a record of the slice for good (too large, invalid):
   * send one at a time, drop and log each refused one, so one bad record
   * cannot hold the spool, and every later event, forever.
   */
  private async sendOneByOne(segment: SpoolSegment, slice: readonly SpooledRecord[]): Promise<number> {
    let handled = 0;
    for (const record of slice) {
      try {
        await this.send([record], 'spool', this.settings.sendTimeoutMs);
      } catch (error) {
        const rejection = recordRejection(error);
        if (!rejection) {
          this.markDown(error, 'Kafka still unavailable; spool kept');
          return handled;
        }
        this.noteError(error);
        this.logger.error({ err: error, rejection, key: record.key, bytes: record.value.length }, 'Kafka refused a feedback event for good; dropped');
        this.metrics.dropped.inc({ reason: 'rejected' });
        this.totals.dropped++;
      }
      await this.acknowledge(segment, 1);
      handled++;
    }
    return handled;
  }

  private async acknowledge(segment: SpoolSegment, count: number): Promise<void> {
    await this.requireSpool().acknowledge(segment, count);
    this.updateSpoolGauges();
  }

  private async send(records: readonly SpooledRecord[], via: 'direct' | 'spool', timeoutMs: number): Promise<void> {
    const end = this.metrics.sendSeconds.startTimer({ via });
    try {
      await withTimeout(
        (async () => {
          await this.connect();
          await this.producer.sendMessages(this.topic, records as SpooledRecord[]);
        })(),
        timeoutMs,
        'Kafka acknowledgement of feedback events',
      );
    } catch (error) {
      end({ result: 'failed' });
      throw error;
    }
    end({ result: 'acked' });
    this.metrics.sent.inc({ via }, records.length);
    this.totals.sent += records.length;
    if (this.kafkaState !== 'up') this.logger.info({ via }, 'Kafka takes feedback events again');
    this.kafkaState = 'up';
  }

  /**
   * A metadata request for the feedback topic. A data send that times out
   * keeps retrying inside the client and lands later, a duplicate; probing
   * with metadata first means only a broker that answers gets records.
   */
  private async probe(): Promise<void> {
    await withTimeout(
      (async () => {
        if (!this.adminConnected) {
          this.adminConnecting ??= this.admin.connect().finally(() => {
            this.adminConnecting = undefined;
          });
          await this.adminConnecting;
          this.adminConnected = true;
        }
        await this.admin.fetchTopicMetadata({ topics: [this.topic] });
      })(),
      this.settings.sendTimeoutMs,
      'Kafka metadata probe',
    );
  }

  /** One connection attempt at a time; a timed-out attempt keeps going and later sends reuse it. */
  private connect(): Promise<void> {
    if (this.producer.isConnected) return Promise.resolve();
    this.connecting ??= this.producer.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Time a direct send may take; during stop, what is left before the deadline (0: spool at once). */
  private sendTimeout(): number {
    if (!this.stopping) return this.settings.sendTimeoutMs;
    return Math.min(this.settings.sendTimeoutMs, Math.floor((this.stopDeadline - Date.now()) / 2));
  }

  private markDown(error: unknown, message: string): void {
    if (this.kafkaState !== 'down') this.logger.warn({ err: error, code: errorCode(error) }, message);
    this.kafkaState = 'down';
    this.noteError(error);
  }

  private noteError(error: unknown): void {
    this.lastError = { code: errorCode(error, FEEDBACK_UNAVAILABLE), message: errorMessage(error), at: new Date().toISOString() };
  }

  private settleBatch(batch: readonly Pending[], outcome: DurableOutcome): void {
    for (const { waiter } of batch) {
      if (!waiter) continue;
      if (outcome === 'spooled') waiter.spooled = true;
      this.finishOne(waiter);
    }
  }

  private drop(items: readonly Pending[], reason: DropReason): void {
    if (items.length === 0) return;
    this.metrics.dropped.inc({ reason }, items.length);
    this.totals.dropped += items.length;
    for (const { waiter } of items) {
      if (!waiter) continue;
      waiter.failure ??= new StoreloopError(
        FEEDBACK_UNAVAILABLE,
        reason === 'spool_full' ? 'Kafka is unavailable and the local spool is full' : `Kafka is unavailable and the local spool failed (${reason})`,
        { retriable: true },
      );
      this.finishOne(waiter);
    }
  }

  private finishOne(waiter: DurableWaiter): void {
    waiter.remaining--;
    if (waiter.remaining > 0) return;
    if (waiter.failure) waiter.reject(waiter.failure);
    else waiter.resolve(waiter.spooled ? 'spooled' : 'kafka');
  }

  private updateSpoolGauges(): void {
    this.metrics.spoolBytes.set(this.spool?.bytes ?? 0);
    this.metrics.spoolRecords.set(this.spool?.records ?? 0);
  }

  private requireSpool(): FeedbackSpool {
    if (!this.spool) throw new StoreloopError('INFERENCE.FEEDBACK_NOT_STARTED', 'FeedbackLog.start() has not been called');
    return this.spool;
  }

  private async settle(work: Promise<unknown> | undefined, ms: number): Promise<void> {
    if (!work) return;
    try {
      await withTimeout(work, ms, 'feedback log shutdown');
    } catch (error) {
      this.logger.warn({ err: error }, 'feedback log shutdown step did not finish in time');
    }
  }
}
