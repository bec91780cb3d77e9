import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Registry } from 'prom-client';
import {
  continueTrace,
  errorCode,
  errorMessage,
  getOrCreateCounter,
  getOrCreateGauge,
  getOrCreateHistogram,
  isRetriable,
  processLiveness,
  type LivenessRegistry,
  type Logger,
  type TraceContext,
} from '@storeloop/observability';
import { decodeHeaders } from './headers';
import { CrashRecovery } from './crash-recovery';
import { HANDLER_FAILED, buildDeadLetter, deadLetterCause } from './dead-letter';
import type { TopicProducer } from './producer';
import type { TopicNamer } from './topic-namer';
import { isTransientFailure } from './transient';

export interface ConsumedMessage<T> {
  /** Physical topic the record came from. */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
  headers: Record<string, string>;
  timestamp: string;
  trace: TraceContext;
}

export interface BatchContext {
  /** Consumer group, for offsets committed inside a transaction. */
  groupId: string;
  topic: string;
  partition: number;
  /** Keeps group membership alive during long work. */
  heartbeat(): Promise<void>;
}

/** Turns raw bytes into a typed value, throwing a non-retriable error for bad input. */
export type MessageDecoder<T> = (message: KafkaMessage, topic: string) => T;

export type BatchHandler<T> = (messages: ConsumedMessage<T>[], context: BatchContext) => Promise<void>;

export interface RetryPolicy {
  /** Attempts after the first one for retriable errors; 0 dead-letters at the first failure. */
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, initialBackoffMs: 200, maxBackoffMs: 10_000, multiplier: 2 };

export interface BatchConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  /** Physical topic names. */
  topics: string[];
  decode: MessageDecoder<T>;
  handle: BatchHandler<T>;
  /** Where poison records go (physical name); the producer also gets the records' original bytes. */
  deadLetter: { producer: TopicProducer; topic: string };
  logger: Logger;
  registry?: Registry;
  retry?: Partial<RetryPolicy>;
  /** Largest slice of a fetched batch given to the handler at once. */
  maxHandlerBatch?: number;
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  partitionsConsumedConcurrently?: number;
  namer?: TopicNamer;
  /**
   * For handlers whose state lives outside Kafka (a feature store holding its
   * own offsets): where each partition resumes, asked on the first batch of a
   * partition after every (re)assignment and after `RepositionRequested`.
   * Records before that offset are skipped (already applied); if the first
   * record fetched is past it, the consumer seeks back once, so whatever
   * Kafka's committed offset says, nothing the store lacks is skipped. A
   * record still past it after that seek means the records between cannot be
   * read (transaction markers, aborted records, retention).
   */
  resume?: (topic: string, partition: number) => Promise<string>;
  /**
   * What a handler failure may do to the record once retrying stops helping.
   * `dead-letter` (default): a failure that is neither retriable nor
   * transient, or one still failing after `retry.maxRetries`, dead-letters
   * the poison record and the partition moves on. `hold`: never; the record
   * is retried at the longest backoff until it succeeds, the partition waits
   * and the failure is logged at error level. For handlers whose records were
   * validated by `decode`, so that a failure is the infrastructure's or a
   * bug, never the record's: dead-lettering there would lose valid events.
   */
  onHandlerFailure?: HandlerFailurePolicy;
  /**
   * First wait before restarting a consumer that crashed with an error
   * kafkajs does not restart on (doubling to 30 s while restarts fail).
   */
  crashRestartDelayMs?: number;
  /**
   * Where the consumer reports its progress for `/health/live` (the
   * process's registry by default): fetches, heartbeats, batches, rebalances,
   * crashes and restarts all count, as does a handler attempt still running,
   * so only a consumer that does nothing at all (a fetch that never returns)
   * goes silent.
   */
  liveness?: LivenessRegistry;
}

export type HandlerFailurePolicy = 'dead-letter' | 'hold';

/**
 * Thrown by a handler to have every partition's position asked of `resume`
 * again, e.g. after the store behind the handler was wiped. The slice is not
 * resolved, so the records are fetched again.
 */
export class RepositionRequested extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RepositionRequested';
  }
}

interface Position {
  /** Next offset the handler expects. */
  offset: bigint;
  /** From `resume` (checked against the first record fetched) or from our own progress. */
  source: 'store' | 'consumed';
  /** A seek to `offset` was issued for this position. */
  sought: boolean;
}

class ConsumerStopping extends Error {
  constructor() {
    super('consumer is stopping');
  }
}

/**
 * Runs a kafkajs consumer with `eachBatch`, giving the handler decoded slices of
 * one partition in offset order. Offsets are resolved only after a slice is
 * handled or dead-lettered, so a crash re-delivers rather than loses. Retriable
 * failures back off exponentially (heartbeating meanwhile); a failing slice is
 * then split so only the poison record is dead-lettered and the rest proceed.
 * Stop() lets the running slice finish and commits what was processed.
 */
export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly retry: RetryPolicy;
  private readonly maxHandlerBatch: number;
  private readonly heartbeatIntervalMs: number;
  private readonly metrics;
  private running = false;
  /** Original records behind decoded ones, so a dead letter carries the exact bytes received. */
  private readonly originals = new WeakMap<ConsumedMessage<T>, KafkaMessage>();
  /** Positions per `topic:partition`, for `resume`; cleared on every group join. */
  private readonly positions = new Map<string, Position>();
  /** Bumped on every group join and reposition: positions learnt under an older generation are not kept. */
  private generation = 0;
  /** Partitions assigned at the last group join. */
  private assignment: { topic: string; partition: number }[] = [];
  /** `resume` in flight or answered per `topic:partition` in this generation: asked once, however many callers. */
  private readonly resumed = new Map<string, Promise<bigint>>();
  private recovery?: CrashRecovery;
  /** `topic:partition` whose lag gauge this member has set, so a partition moved away stops reporting its old value. */
  private readonly lagReported = new Map<string, { topic: string; partition: number }>();
  /** Last sign of progress, for `/health/live`. */
  private lastActivityAt = Date.now();
  private unregisterLiveness?: () => void;
  private activityReportedAt = 0;
  private readonly touch = (): void => {
    const now = Date.now();
    this.lastActivityAt = now;
    // The metric moves in steps of a second at most: fetch events come far more often than that under load.
    if (this.metrics && this.running && now - this.activityReportedAt >= 1_000) {
      this.activityReportedAt = now;
      this.metrics.lastActivity.set({ group: this.options.groupId }, now / 1_000);
    }
  };

  constructor(private readonly options: BatchConsumerOptions<T>) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxHandlerBatch = options.maxHandlerBatch ?? 500;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
    });
    const registry = options.registry;
    this.metrics = registry
      ? {
          processed: getOrCreateCounter(registry, {
            name: 'kafka_consumer_records_total',
            help: 'Records consumed, by outcome (handled, dead_lettered)',
            labelNames: ['group', 'topic', 'outcome'] as const,
          }),
          retries: getOrCreateCounter(registry, {
            name: 'kafka_consumer_retries_total',
            help: 'Handler retries after retriable errors',
            labelNames: ['group', 'topic'] as const,
          }),
          held: getOrCreateCounter(registry, {
            name: 'kafka_consumer_held_failures_total',
            help: 'Handler failures retried although not retriable, because the consumer holds its records instead of dead-lettering them',
            labelNames: ['group', 'topic'] as const,
          }),
          lag: getOrCreateGauge(registry, {
            name: 'kafka_consumer_lag',
            help: 'Records between the last processed offset and the partition high watermark',
            labelNames: ['group', 'topic', 'partition'] as const,
          }),
          lastActivity: getOrCreateGauge(registry, {
            name: 'kafka_consumer_last_activity_timestamp_seconds',
            help: 'When the consumer last showed progress (a fetch, heartbeat, batch, rebalance, crash or restart, or a handler attempt running); /health/live fails once it is HEALTH_CONSUMER_STALL_MS old',
            labelNames: ['group'] as const,
          }),
          restarts: getOrCreateCounter(registry, {
            name: 'kafka_consumer_restarts_total',
            help: 'Consumers restarted by the service after a crash kafkajs does not restart on (a non-retriable error)',
            labelNames: ['group'] as const,
          }),
          duration: getOrCreateHistogram(registry, {
            name: 'kafka_consumer_handler_duration_seconds',
            help: 'Time to handle one slice of a batch',
            labelNames: ['group', 'topic'] as const,
            buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
          }),
        }
      : undefined;
  }

  get consumerGroup(): string {
    return this.options.groupId;
  }

  /** The underlying kafkajs consumer, for instrumentation events and seeks. */
  get raw(): Consumer {
    return this.consumer;
  }

  /** Milliseconds since the consumer last showed progress; null while it is not running. */
  silentForMs(now = Date.now()): number | null {
    return this.running ? Math.max(0, now - this.lastActivityAt) : null;
  }

  async start(): Promise<void> {
    const { events } = this.consumer;
    for (const event of [events.HEARTBEAT, events.FETCH_START, events.FETCH, events.START_BATCH_PROCESS, events.END_BATCH_PROCESS, events.REBALANCING, events.CONNECT]) {
      if (event) this.consumer.on(event, this.touch);
    }
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.touch();
      this.assignment = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
      this.forgetLagOfUnassigned();
      // A slice still running from before the join stops at its next step (see onBatch's `active`).
      if (this.options.resume) this.reposition('partitions assigned');
      else this.forgetPositions();
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    this.touch();
    this.unregisterLiveness = (this.options.liveness ?? processLiveness).register({
      name: `kafka-consumer:${this.options.groupId}`,
      silentForMs: (now) => this.silentForMs(now),
    });
    const runConfig: ConsumerRunConfig = {
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    };
    this.recovery = new CrashRecovery({
      consumer: this.consumer,
      groupId: this.options.groupId,
      run: () => this.consumer.run(runConfig),
      logger: this.options.logger,
      initialDelayMs: this.options.crashRestartDelayMs,
      onRestarted: () => this.metrics?.restarts.inc({ group: this.options.groupId }),
      onActivity: this.touch,
    });
    await this.consumer.run(runConfig);
  }

  /** Finishes the slice in progress, commits resolved offsets and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unregisterLiveness?.();
    this.unregisterLiveness = undefined;
    this.metrics?.lastActivity.remove({ group: this.options.groupId });
    await this.recovery?.stop();
    await this.consumer.disconnect();
    // Out of the group: the partitions' lag is their next owner's to report.
    this.assignment = [];
    this.forgetLagOfUnassigned();
  }

  /**
   * Removes the lag gauge of every partition this member no longer owns:
   * otherwise a partition that moved away keeps reporting its last value
   * here, and two members (one of them stale) report it at once.
   */
  private forgetLagOfUnassigned(): void {
    const owned = new Set(this.assignment.map(({ topic, partition }) => `${topic}:${partition}`));
    for (const [key, { topic, partition }] of this.lagReported) {
      if (owned.has(key)) continue;
      this.metrics?.lag.remove({ group: this.options.groupId, topic, partition: String(partition) });
      this.lagReported.delete(key);
    }
  }

  private forgetPositions(): void {
    this.generation++;
    this.positions.clear();
    this.resumed.clear();
  }

  /**
   * `resume` for a partition, once per generation: the repositioning after a
   * join and the partition's first batch share one answer. A second call
   * would take the partition over again (ingestion's transactional id) and
   * could set the position back under a slice in flight.
   */
  private resumeOnce(topic: string, partition: number): Promise<bigint> {
    const key = `${topic}:${partition}`;
    let answer = this.resumed.get(key);
    if (!answer) {
      const resume = this.options.resume;
      if (!resume) throw new Error('resumeOnce without a resume option');
      answer = resume(topic, partition).then((offset) => BigInt(offset));
      this.resumed.set(key, answer);
      // A failed answer is asked again next time.
      const asked = answer;
      answer.catch(() => {
        if (this.resumed.get(key) === asked) this.resumed.delete(key);
      });
    }
    return answer;
  }

  /**
   * Asks `resume` for every assigned partition and seeks there now, rather
   * than on the partition's next batch: a partition already at the end of
   * its log fetches nothing, so it would never be asked, and a store rebuilt
   * behind it would never get its records again.
   */
  private reposition(reason: string): void {
    this.forgetPositions();
    const generation = this.generation;
    const resume = this.options.resume;
    if (!resume) return;
    void (async () => {
      for (const { topic, partition } of this.assignment) {
        const offset = await this.resumeOnce(topic, partition);
        if (generation !== this.generation || !this.running) return;
        // The partition's first batch may have been positioned (and handled) meanwhile: its position stands.
        if (this.positions.has(`${topic}:${partition}`)) continue;
        this.positions.set(`${topic}:${partition}`, { offset, source: 'store', sought: true });
        this.consumer.seek({ topic, partition, offset: String(offset) });
      }
      this.options.logger.info({ reason, partitions: this.assignment.length }, 'positioned every assigned partition where the store resumes');
    })().catch((error: unknown) => {
      // The next batch of each partition asks again (positions stay unknown).
      if (generation === this.generation) this.forgetPositions();
      this.options.logger.warn({ err: error, reason }, 'could not position the assigned partitions; each resumes on its next batch');
    });
  }

  /**
   * With `resume`: the records of the batch the handler has not seen, or
   * undefined after seeking back to where the store says the partition resumes.
   */
  private async positioned(payload: EachBatchPayload): Promise<KafkaMessage[] | undefined> {
    const { batch, resolveOffset } = payload;
    if (!this.options.resume || batch.messages.length === 0) return batch.messages;
    // Fetched before a seek: the records after the seek come in the next fetch.
    if (payload.isStale()) return undefined;
    const key = `${batch.topic}:${batch.partition}`;
    let position = this.positions.get(key);
    if (!position) {
      const generation = this.generation;
      const offset = await this.resumeOnce(batch.topic, batch.partition);
      if (generation !== this.generation) return undefined;
      // The repositioning may have set (and sought to) it while we waited.
      position = this.positions.get(key) ?? { offset, source: 'store', sought: false };
      this.positions.set(key, position);
      if (position.sought && payload.isStale()) return undefined;
    }
    const first = BigInt(batch.messages[0].offset);
    if (position.source === 'store' && first > position.offset && !position.sought) {
      position.sought = true;
      this.options.logger.info(
        { topic: batch.topic, partition: batch.partition, fetched: String(first), resumeAt: String(position.offset) },
        'seeking back to where the store resumes',
      );
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(position.offset) });
      return undefined;
    }
    const unseen = batch.messages.filter((message) => BigInt(message.offset) >= position.offset);
    const skipped = batch.messages.length - unseen.length;
    if (skipped > 0) resolveOffset(batch.messages[skipped - 1].offset);
    return unseen;
  }

  private advancePosition(topic: string, partition: number, lastOffset: string, generation: number): void {
    if (!this.options.resume || generation !== this.generation) return;
    this.positions.set(`${topic}:${partition}`, { offset: BigInt(lastOffset) + 1n, source: 'consumed', sought: false });
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const generation = this.generation;
    // A group join or a reposition since the batch began makes it stale too: its partition may be someone else's now.
    const active = () => this.running && isRunning() && !isStale() && generation === this.generation;
    const context: BatchContext = { groupId: this.options.groupId, topic: batch.topic, partition: batch.partition, heartbeat };
    const messages = await this.positioned(payload);
    if (!messages) return;
    let slice: ConsumedMessage<T>[] = [];

    const flush = async () => {
      if (slice.length === 0) return;
      const current = slice;
      slice = [];
      await this.handleWithRetries(current, context, resolveOffset, active);
      const last = current[current.length - 1].offset;
      this.advancePosition(batch.topic, batch.partition, last, generation);
      // Not after a rejoin: the partition may be another member's to report now.
      if (generation === this.generation) this.updateLag(batch.topic, batch.partition, batch.highWatermark, last);
    };

    try {
      for (const message of messages) {
        if (!active()) break;
        let decoded: ConsumedMessage<T>;
        try {
          decoded = this.decode(message, batch.topic, batch.partition);
        } catch (error) {
          // Records before the bad one go first so offsets stay in order.
          await flush();
          if (!active()) break;
          await this.deadLetter(message, batch.topic, batch.partition, error, 1);
          resolveOffset(message.offset);
          this.advancePosition(batch.topic, batch.partition, message.offset, generation);
          // Not after a rejoin: the partition may be another member's to report now.
          if (generation === this.generation) this.updateLag(batch.topic, batch.partition, batch.highWatermark, message.offset);
          continue;
        }
        slice.push(decoded);
        if (slice.length >= this.maxHandlerBatch) await flush();
      }
      if (active()) await flush();
    } catch (error) {
      if (error instanceof ConsumerStopping) return;
      if (error instanceof RepositionRequested) {
        this.options.logger.warn({ topic: batch.topic, partition: batch.partition, reason: error.message }, 'repositioning every partition');
        this.reposition(error.message);
        return;
      }
      throw error;
    }
  }

  private decode(message: KafkaMessage, topic: string, partition: number): ConsumedMessage<T> {
    const headers = decodeHeaders(message.headers);
    const consumed: ConsumedMessage<T> = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString('utf8') : null,
      value: this.options.decode(message, topic),
      headers,
      timestamp: message.timestamp,
      trace: continueTrace(headers, `${topic}/${partition}/${message.offset}`),
    };
    this.originals.set(consumed, message);
    return consumed;
  }

  private async handleWithRetries(
    messages: ConsumedMessage<T>[],
    context: BatchContext,
    resolveOffset: (offset: string) => void,
    active: () => boolean,
  ): Promise<void> {
    const labels = { group: this.options.groupId, topic: context.topic };
    for (let attempt = 0; ; attempt++) {
      const end = this.metrics?.duration.startTimer(labels);
      let failed = false;
      let error: unknown;
      // Heartbeats while the handler runs: an attempt slowed by a Redis or Kafka outage must not cost the group membership
      // (a rebalance would move the partition while the slice is still being written). kafkajs throttles them to its interval.
      const attemptStarted = Date.now();
      let slowWarnedAt = attemptStarted;
      const keepAlive = setInterval(() => {
        // A handler still working (a Redis outage held in its retries) is progress, not a hung consumer.
        this.touch();
        context.heartbeat().catch(() => undefined);
        // A handler that never returns holds its partition for good: say so, once a minute, where the logs show it.
        if (Date.now() - slowWarnedAt >= 60_000) {
          slowWarnedAt = Date.now();
          this.options.logger.warn(
            { topic: context.topic, partition: context.partition, firstOffset: messages[0].offset, records: messages.length, runningMs: slowWarnedAt - attemptStarted },
            'handler still running',
          );
        }
      }, this.heartbeatIntervalMs);
      keepAlive.unref();
      try {
        await this.options.handle(messages, context);
      } catch (caught) {
        if (caught instanceof RepositionRequested) throw caught;
        failed = true;
        error = caught;
      } finally {
        clearInterval(keepAlive);
        end?.();
      }
      if (!failed) {
        resolveOffset(messages[messages.length - 1].offset);
        this.metrics?.processed.inc({ ...labels, outcome: 'handled' }, messages.length);
        // Outside the handler's try: a rebalance seen here must not count as a handler failure.
        await context.heartbeat();
        return;
      }
      // A broker or Redis away for a while is never the record's fault, whatever the client's flag says.
      const retriable = isRetriable(error) || isTransientFailure(error);
      if (retriable && attempt < this.retry.maxRetries) {
        this.metrics?.retries.inc(labels);
        const delay = Math.min(this.retry.initialBackoffMs * this.retry.multiplier ** attempt, this.retry.maxBackoffMs);
        this.options.logger.warn(
          { err: error, topic: context.topic, partition: context.partition, firstOffset: messages[0].offset, attempt: attempt + 1, delayMs: delay },
          'handler failed; retrying',
        );
        await this.backoff(delay, context, active);
        continue;
      }
      if (this.options.onHandlerFailure === 'hold') {
        this.metrics?.retries.inc(labels);
        this.metrics?.held.inc(labels);
        const delay = this.retry.maxBackoffMs;
        this.options.logger.error(
          {
            err: error,
            code: errorCode(error, HANDLER_FAILED),
            topic: context.topic,
            partition: context.partition,
            firstOffset: messages[0].offset,
            records: messages.length,
            attempt: attempt + 1,
            delayMs: delay,
          },
          'handler failed and this consumer never dead-letters: holding the partition and retrying',
        );
        await this.backoff(delay, context, active);
        continue;
      }
      if (messages.length > 1) {
        // Isolate the poison record: every record gets its own attempts.
        for (const message of messages) {
          if (!active()) throw new ConsumerStopping();
          await this.handleWithRetries([message], context, resolveOffset, active);
        }
        return;
      }
      const [only] = messages;
      await this.deadLetterDecoded(only, error, attempt + 1);
      resolveOffset(only.offset);
      this.metrics?.processed.inc({ ...labels, outcome: 'dead_lettered' });
      return;
    }
  }

  /** Sleeps in heartbeat-sized steps so a long backoff neither loses the group nor delays shutdown. */
  private async backoff(delayMs: number, context: BatchContext, active: () => boolean): Promise<void> {
    const deadline = Date.now() + delayMs;
    while (Date.now() < deadline) {
      if (!active()) throw new ConsumerStopping();
      this.touch();
      await sleep(Math.min(500, deadline - Date.now()));
      await context.heartbeat();
    }
    if (!active()) throw new ConsumerStopping();
  }

  private async deadLetterDecoded(message: ConsumedMessage<T>, error: unknown, attempts: number): Promise<void> {
    const raw = this.originals.get(message);
    if (!raw) throw new Error(`original bytes of ${message.topic}/${message.partition}@${message.offset} are missing`);
    await this.deadLetter(raw, message.topic, message.partition, error, attempts);
  }

  private async deadLetter(message: KafkaMessage, topic: string, partition: number, error: unknown, attempts: number): Promise<void> {
    const { producer, topic: dlqTopic } = this.options.deadLetter;
    const { code, reason } = deadLetterCause(errorCode(error, HANDLER_FAILED), errorMessage(error));
    const record = buildDeadLetter({
      message,
      sourceTopic: this.options.namer ? this.options.namer.logical(topic) : topic,
      partition,
      consumerGroup: this.options.groupId,
      code,
      reason,
      retriable: isRetriable(error),
      attempts,
    });
    await producer.sendMessages(dlqTopic, [record]);
    this.options.logger.error(
      { topic, partition, offset: message.offset, code, attempts, reason },
      'record dead-lettered',
    );
  }

  private updateLag(topic: string, partition: number, highWatermark: string, lastOffset: string): void {
    if (!this.metrics) return;
    const lag = Number(BigInt(highWatermark) - BigInt(lastOffset) - 1n);
    this.metrics.lag.set({ group: this.options.groupId, topic, partition: String(partition) }, Math.max(0, lag));
    this.lagReported.set(`${topic}:${partition}`, { topic, partition });
  }
}
