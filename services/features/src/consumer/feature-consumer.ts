import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { TOPICS, type StoreloopEvent, type TopicName } from '@storeloop/contracts';
import { REDIS, applyEventBatch, readStoredOffsets, type RedisClient, type SourcedEvent } from '@storeloop/feature-store';
import {
  BatchConsumer,
  KAFKA,
  KAFKA_ADMIN,
  RepositionRequested,
  TopicNamer,
  TopicProducer,
  contractDecoder,
  type BatchContext,
  type ConsumedMessage,
  type MessageDecoder,
} from '@storeloop/messaging';
import {
  METRICS_REGISTRY,
  READINESS_PROBES,
  ROOT_LOGGER,
  getOrCreateCounter,
  getOrCreateGauge,
  getOrCreateHistogram,
  type Logger,
  type ReadinessProbe,
} from '@storeloop/observability';
import { FEATURES_SETTINGS, EXAMPLES_STAGE } from '../tokens';
import type { FeaturesSettings } from '../config';
import { StoreMarker } from '../store/store-marker';
import type { ExamplesStage } from '../examples/examples-stage';

/** The topics whose events shape the feature views. */
export const CONSUMED_TOPICS: readonly TopicName[] = [TOPICS.events.name, TOPICS.feedback.name, TOPICS.privacy.name];

interface Rebuild {
  epoch: string;
  startedAt: number;
  /** High watermark per `topic:partition` when the rebuild started: caught up past these, the views are whole again. */
  targets: Map<string, bigint>;
  lastLogAt: number;
}

/**
 * Applies the events, feedback and privacy topics to the feature views in
 * Redis, each event's effect on each entity exactly once (libs/feature-store
 * applyEventBatch), and positions every partition from the offsets stored in
 * Redis, whatever Kafka's committed offsets say. Notices a wiped store and
 * replays the retained topics to rebuild it, not ready meanwhile.
 */
@Injectable()
export class FeatureConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: BatchConsumer<StoreloopEvent>;
  private readonly marker: StoreMarker;
  private readonly namer: TopicNamer;
  /** Epoch of the store each partition's position was read under; a different epoch means read it again. */
  private readonly positionEpochs = new Map<string, string | undefined>();
  /** Next offset per `topic:partition`, for rebuild progress. */
  private readonly positions = new Map<string, bigint>();
  private assigned: { topic: string; partition: number }[] = [];
  private inflight = 0;
  private rebuild: Rebuild | undefined;
  private readonly metrics;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(KAFKA_ADMIN) private readonly admin: Admin,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(FEATURES_SETTINGS) private readonly settings: FeaturesSettings & { keyPrefix: string },
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(READINESS_PROBES) probes: ReadinessProbe[],
    @Inject(EXAMPLES_STAGE) private readonly examples: ExamplesStage | null,
    namer: TopicNamer,
    producer: TopicProducer,
  ) {
    this.namer = namer;
    this.marker = new StoreMarker(redis, {
      namespace: settings.FEATURES_CONSUMER_GROUP,
      keyPrefix: settings.keyPrefix,
      fenceMs: settings.FEATURES_REBUILD_FENCE_MS,
      logger,
      inflight: () => this.inflight,
    });
    const decoders = new Map(CONSUMED_TOPICS.map((topic) => [namer.physical(topic), contractDecoder(topic)]));
    const decode: MessageDecoder<StoreloopEvent> = (message, topic) => {
      const decoder = decoders.get(topic);
      if (!decoder) throw new Error(`no decoder for topic ${topic}`);
      return decoder(message, topic) as StoreloopEvent;
    };
    this.consumer = new BatchConsumer<StoreloopEvent>({
      kafka,
      groupId: settings.FEATURES_CONSUMER_GROUP,
      topics: [...decoders.keys()],
      decode,
      handle: (messages, context) => this.handle(messages, context),
      deadLetter: { producer, topic: namer.physical(TOPICS.deadLetters.name) },
      logger,
      registry,
      namer,
      // A Redis outage or a rebuild must hold the stream, never dead-letter valid events.
      retry: { maxRetries: Number.MAX_SAFE_INTEGER, initialBackoffMs: 100, maxBackoffMs: 5_000 },
      // Decode validated every event; a failure after that is Redis', Kafka's or ours, never the event's.
      onHandlerFailure: 'hold',
      maxHandlerBatch: settings.FEATURES_MAX_BATCH,
      partitionsConsumedConcurrently: settings.FEATURES_CONCURRENCY,
      sessionTimeoutMs: settings.FEATURES_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: Math.min(3_000, Math.floor(settings.FEATURES_SESSION_TIMEOUT_MS / 5)),
      fromBeginning: true,
      resume: (topic, partition) => this.resume(topic, partition),
    });
    this.metrics = {
      events: getOrCreateCounter(registry, {
        name: 'features_events_applied_total',
        help: 'Events applied to the feature views (redeliveries included), by topic',
        labelNames: ['topic'] as const,
      }),
      effects: getOrCreateCounter(registry, {
        name: 'features_entity_effects_total',
        help: "Effects of events on entities: applied now, or skipped as already applied (a redelivery) or of an erased user",
        labelNames: ['outcome'] as const,
      }),
      erasures: getOrCreateCounter(registry, { name: 'features_user_erasures_total', help: 'Users whose keys were deleted by an erasure' }),
      applySeconds: getOrCreateHistogram(registry, {
        name: 'features_apply_duration_seconds',
        help: 'Time to apply one slice of events to Redis (examples included)',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      }),
      freshness: getOrCreateHistogram(registry, {
        name: 'features_freshness_seconds',
        help: "From an event's append time on Kafka to its effect being readable in Redis (newest and oldest event of each slice)",
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      }),
      rebuilding: getOrCreateGauge(registry, { name: 'features_rebuild_in_progress', help: '1 while this instance replays its partitions to rebuild a lost store' }),
      remaining: getOrCreateGauge(registry, {
        name: 'features_rebuild_remaining_records',
        help: "Records of this instance's partitions still to replay before the rebuilt store is whole",
      }),
      rebuilds: getOrCreateCounter(registry, { name: 'features_rebuilds_total', help: 'Rebuilds of the feature store this instance took part in' }),
    };
    probes.push(this.readinessProbe());
  }

  async onApplicationBootstrap(): Promise<void> {
    const raw = this.consumer.raw;
    raw.on(raw.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
      this.examples?.onAssignment();
    });
    await this.consumer.start();
    this.logger.info({ group: this.settings.FEATURES_CONSUMER_GROUP, topics: CONSUMED_TOPICS }, 'feature consumer started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    await this.examples?.close();
  }

  /** Where a partition resumes: the offset stored in Redis with the views, else the log's start. */
  private async resume(topic: string, partition: number): Promise<string> {
    const key = `${topic}:${partition}`;
    await this.marker.adopt();
    this.positionEpochs.set(key, this.marker.knownEpoch);
    const [stored, ends] = await Promise.all([
      readStoredOffsets(this.redis, this.settings.FEATURES_CONSUMER_GROUP, topic),
      this.admin.fetchTopicOffsets(topic),
    ]);
    const low = BigInt(ends.find((end) => end.partition === partition)?.low ?? '0');
    const offset = stored.get(partition);
    let resumeAt = offset === undefined ? low : BigInt(offset);
    if (resumeAt < low) {
      this.logger.error(
        { topic, partition, stored: offset, logStart: String(low) },
        'records the feature store has not applied were deleted by retention; resuming at the log start',
      );
      resumeAt = low;
    }
    this.positions.set(key, resumeAt);
    return String(resumeAt);
  }

  private async handle(messages: ConsumedMessage<StoreloopEvent>[], context: BatchContext): Promise<void> {
    const key = `${context.topic}:${context.partition}`;
    const check = await this.marker.check();
    if (check.state === 'changed') await this.startRebuild(check.epoch);
    if (this.positionEpochs.get(key) !== check.epoch) {
      throw new RepositionRequested(`store epoch ${check.epoch} is new to ${key}`);
    }
    const started = process.hrtime.bigint();
    this.inflight++;
    try {
      const sourced: SourcedEvent[] = messages.map((m) => ({ event: m.value, topic: m.topic, partition: m.partition, offset: m.offset }));
      if (this.examples) await this.examples.beforeApply(sourced, context);
      const result = await applyEventBatch(this.redis, sourced, { offsetNamespace: this.settings.FEATURES_CONSUMER_GROUP });
      const now = Date.now();
      this.metrics.events.inc({ topic: this.namer.logical(context.topic) }, result.events);
      this.metrics.effects.inc({ outcome: 'applied' }, result.applied);
      this.metrics.effects.inc({ outcome: 'skipped' }, result.skipped);
      if (result.erasedUsers) this.metrics.erasures.inc(result.erasedUsers);
      this.metrics.freshness.observe(Math.max(0, now - Number(messages[0].timestamp)) / 1000);
      this.metrics.freshness.observe(Math.max(0, now - Number(messages[messages.length - 1].timestamp)) / 1000);
    } finally {
      this.inflight--;
      this.metrics.applySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
    this.positions.set(key, BigInt(messages[messages.length - 1].offset) + 1n);
    this.trackRebuild();
  }

  private async startRebuild(epoch: string): Promise<void> {
    const targets = new Map<string, bigint>();
    for (const topic of CONSUMED_TOPICS.map((t) => this.namer.physical(t))) {
      for (const end of await this.admin.fetchTopicOffsets(topic)) targets.set(`${topic}:${end.partition}`, BigInt(end.high));
    }
    this.rebuild = { epoch, startedAt: Date.now(), targets, lastLogAt: 0 };
    this.metrics.rebuilds.inc();
    this.metrics.rebuilding.set(1);
    this.logger.warn({ epoch, records: this.remainingRecords() }, 'rebuilding the feature views from the retained topics');
  }

  private remainingRecords(): number {
    if (!this.rebuild) return 0;
    let remaining = 0n;
    for (const { topic, partition } of this.assigned) {
      const key = `${topic}:${partition}`;
      const target = this.rebuild.targets.get(key) ?? 0n;
      const at = this.positions.get(key) ?? 0n;
      if (target > at) remaining += target - at;
    }
    return Number(remaining);
  }

  private trackRebuild(): void {
    const rebuild = this.rebuild;
    if (!rebuild) return;
    const remaining = this.remainingRecords();
    this.metrics.remaining.set(remaining);
    const now = Date.now();
    if (remaining === 0) {
      this.rebuild = undefined;
      this.metrics.rebuilding.set(0);
      this.logger.warn({ epoch: rebuild.epoch, ms: now - rebuild.startedAt }, 'feature store rebuilt: caught up with the retained topics');
    } else if (now - rebuild.lastLogAt >= 5_000) {
      rebuild.lastLogAt = now;
      this.logger.info({ epoch: rebuild.epoch, remaining, ms: now - rebuild.startedAt }, 'rebuilding the feature store');
    }
  }

  private readinessProbe(): ReadinessProbe {
    return {
      name: 'feature-store',
      check: async () => {
        if (this.rebuild) {
          throw new Error(`rebuilding the feature store from Kafka: ${this.remainingRecords()} records to go (epoch ${this.rebuild.epoch})`);
        }
        return { epoch: this.marker.knownEpoch ?? null, assignedPartitions: this.assigned.length };
      },
    };
  }
}
