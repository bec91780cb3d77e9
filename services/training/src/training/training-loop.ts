import { join } from 'node:path';
import { TOPICS, type TrainingExample } from '@storeloop/contracts';
import type { RedisClient } from '@storeloop/feature-store';
import { BatchConsumer, contractDecoder, type ConsumedMessage, type TopicNamer, type TopicProducer } from '@storeloop/messaging';
import { SCORER_KIND, scorerArtifactFiles, trainRecommender, type ArtifactStore, type LoadedPropensityModel, type TfBackendDescription } from '@storeloop/ml';
import type { Logger } from '@storeloop/observability';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { TrainingSettings } from '../config';
import { decidePromotion, type HoldoutMetrics } from '../lifecycle/promotion';
import type { ModelLifecycle } from '../lifecycle/model-lifecycle';
import type { TrainingMetrics } from '../lifecycle/training-metrics';
import { baselineMetrics, featureLayout, holdoutMetrics, labelsOf, score, trainingSummary, trainScorer } from '../model/scorer';
import { computeSegments, writeSegments } from '../segments/consumer-segments';
import { ExampleWindow, splitByTime, toWindowed, unseenBy, type WindowedExample } from '../window/example-window';
import { ingest } from '../window/ingest';
import { OnlineLoss, retrainReason, TriggerMemory, type RetrainReason } from '../window/retrain-trigger';
import { WindowJournal } from '../window/window-journal';

export interface TrainingLoopDeps {
  settings: TrainingSettings;
  kafka: Kafka;
  namer: TopicNamer;
  producer: TopicProducer;
  redis: RedisClient;
  store: ArtifactStore;
  lifecycle: ModelLifecycle;
  backend: TfBackendDescription;
  logger: Logger;
  registry: Registry;
  metrics: TrainingMetrics;
}

export interface RunSummary {
  version: string;
  reason: RetrainReason;
  outcome: 'promoted' | 'rejected';
  decision: string;
  challenger: HoldoutMetrics;
  champion: HoldoutMetrics | null;
}

const prefixed = (prefix: string, metrics: HoldoutMetrics | null): Record<string, number> =>
  metrics ? Object.fromEntries(Object.entries(metrics).map(([name, value]) => [`${prefix}${name}`, value as number])) : {};

/** Fewer holdout examples than this that the champion never trained on: no fair comparison, the challenger waits. */
export const MIN_COMPARISON_EXAMPLES = 50;

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Sortable, unique, and a valid artifact name: `v20261128T193000123Z-1a2b`. */
function newVersion(now: Date): string {
  return `v${now.toISOString().replace(/[-:.]/g, '')}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

/**
 * Consumes training examples into the durable window, decides when to
 * retrain (schedule, new examples, drift, or by hand), and runs one training
 * at a time: train on the older part of the window, evaluate challenger,
 * champion and the base-rate predictor on the newest part, store the
 * artifact, publish the lifecycle events, promote or reject, write segments.
 */
export class TrainingLoop {
  private readonly window: ExampleWindow;
  private readonly journal: WindowJournal;
  private readonly consumer: BatchConsumer<TrainingExample>;
  private readonly triggers: TriggerMemory;
  private running: Promise<RunSummary | null> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private lastRun: { version?: string; reason: RetrainReason; outcome: string; at: string; error?: string } | null = null;

  constructor(private readonly deps: TrainingLoopDeps) {
    const { settings } = deps;
    this.window = new ExampleWindow({
      windowMs: settings.TRAINING_WINDOW_MS,
      maxExamples: settings.TRAINING_WINDOW_MAX_EXAMPLES,
      positiveThreshold: settings.TRAINING_POSITIVE_LABEL_THRESHOLD,
    });
    this.journal = new WindowJournal(join(settings.TRAINING_STATE_DIR, `${settings.TRAINING_MODEL_NAME}.window.ndjson`));
    // A failed run is retried after one check interval, doubling per failure, at most an hour apart.
    this.triggers = new TriggerMemory(new OnlineLoss(settings.TRAINING_DRIFT_MIN_EXAMPLES * 4), {
      initialMs: settings.TRAINING_CHECK_INTERVAL_MS,
      maxMs: Math.max(settings.TRAINING_CHECK_INTERVAL_MS, 3_600_000),
    });
    deps.lifecycle.onChampionChange(() => this.triggers.online.reset());
    this.consumer = new BatchConsumer<TrainingExample>({
      kafka: deps.kafka,
      groupId: settings.TRAINING_CONSUMER_GROUP,
      topics: [deps.namer.physical(TOPICS.trainingExamples.name)],
      decode: contractDecoder(TOPICS.trainingExamples.name),
      handle: (messages) => this.handle(messages),
      deadLetter: { producer: deps.producer, topic: deps.namer.physical(TOPICS.deadLetters.name) },
      logger: deps.logger,
      registry: deps.registry,
      namer: deps.namer,
      // A full disk must hold the stream, not dead-letter valid examples.
      retry: { maxRetries: Number.MAX_SAFE_INTEGER, initialBackoffMs: 200, maxBackoffMs: 10_000 },
      fromBeginning: true,
    });
  }

  /** Restores the window from the journal and the last run time from the store, then consumes. */
  async start(): Promise<void> {
    const { settings, store, logger } = this.deps;
    const restored = this.window.add(await this.journal.load());
    const versions = await store.list(settings.TRAINING_MODEL_NAME);
    this.triggers.lastRunAtMs = versions.length ? Date.parse(versions[versions.length - 1].createdAt) : null;
    this.updateGauges();
    logger.info(
      {
        model: settings.TRAINING_MODEL_NAME,
        restored: restored.length,
        window: this.window.size,
        journal: this.journal.path,
        lastRunAt: this.triggers.lastRunAtMs === null ? null : new Date(this.triggers.lastRunAtMs).toISOString(),
      },
      'training window restored',
    );
    await this.consumer.start();
    this.timer = setInterval(() => this.check(), settings.TRAINING_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops consuming and waits for a run in progress, so its events are not cut off half way. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.consumer.stop();
    await this.running?.catch(() => undefined);
  }

  status() {
    return {
      model: this.deps.settings.TRAINING_MODEL_NAME,
      windowExamples: this.window.size,
      newExamples: this.window.arrivedAfter(this.triggers.lastRunAtMs),
      training: this.running !== null,
      lastRunAt: this.triggers.lastRunAtMs === null ? null : new Date(this.triggers.lastRunAtMs).toISOString(),
      lastRun: this.lastRun,
      /** After a failed run: when the triggers may start the next one. */
      retryAt: this.triggers.retryAtMs === null ? null : new Date(this.triggers.retryAtMs).toISOString(),
      online: this.triggers.online.current(),
      backend: this.deps.backend.backend,
    };
  }

  /** Starts a run now unless one is in progress (then joins it); resolves when it ends. */
  trigger(reason: RetrainReason): Promise<RunSummary | null> {
    if (this.running) return this.running;
    const run = this.run(reason).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async handle(messages: ConsumedMessage<TrainingExample>[]): Promise<void> {
    const now = Date.now();
    const incoming = messages.map((message) => toWindowed(message.value, now, this.deps.settings.TRAINING_POSITIVE_LABEL_THRESHOLD));
    // Journal before the window and before the offsets commit (the consumer resolves them after this returns): nothing is lost on a crash or a failed append.
    const added = await ingest(this.window, this.journal, incoming);
    if (await this.journal.compactIfNeeded(this.window.size, () => this.window.snapshot())) this.deps.logger.debug({ window: this.window.size }, 'window journal compacted');
    this.deps.metrics.consumed.inc({ outcome: 'stored' }, added.length);
    this.deps.metrics.consumed.inc({ outcome: 'duplicate' }, incoming.length - added.length);
    this.observeChampion(added);
    this.updateGauges();
    this.check();
  }

  /** The champion's predictions on what just arrived: the online side of drift. */
  private observeChampion(added: readonly WindowedExample[]): void {
    const champion = this.deps.lifecycle.current;
    if (!champion || added.length === 0) return;
    this.triggers.online.record(score(champion.model, added), labelsOf(added));
    const online = this.triggers.online.current();
    if (online) this.deps.metrics.onlineLogLoss.set({ model: this.deps.settings.TRAINING_MODEL_NAME }, online.logLoss);
  }

  private updateGauges(): void {
    this.deps.metrics.windowExamples.set(this.window.size);
    this.deps.metrics.newExamples.set(this.window.arrivedAfter(this.triggers.lastRunAtMs));
  }

  private check(): void {
    if (this.running || this.stopping) return;
    const { settings } = this.deps;
    const champion = this.deps.lifecycle.current;
    const reason = retrainReason(
      {
        intervalMs: settings.TRAINING_TRIGGER_INTERVAL_MS,
        newExamples: settings.TRAINING_TRIGGER_NEW_EXAMPLES,
        drift: settings.TRAINING_TRIGGER_DRIFT,
        driftTolerance: settings.TRAINING_DRIFT_TOLERANCE,
        driftMinExamples: settings.TRAINING_DRIFT_MIN_EXAMPLES,
        minExamples: settings.TRAINING_MIN_EXAMPLES,
      },
      {
        nowMs: Date.now(),
        lastRunAtMs: this.triggers.lastRunAtMs,
        windowSize: this.window.size,
        newExamples: this.window.arrivedAfter(this.triggers.lastRunAtMs),
        championLogLoss: champion?.metadata.metrics.logLoss ?? null,
        online: this.triggers.online.current(),
        retryAtMs: this.triggers.retryAtMs,
      },
    );
    // A failed run is logged and counted in run(); a check after its backoff tries again.
    if (reason) this.trigger(reason).catch(() => undefined);
  }

  private async run(reason: RetrainReason): Promise<RunSummary | null> {
    const { settings, store, lifecycle, logger, metrics, backend } = this.deps;
    const model = settings.TRAINING_MODEL_NAME;
    const snapshot = this.window.snapshot();
    if (snapshot.length < settings.TRAINING_MIN_EXAMPLES) {
      logger.info({ model, reason, window: snapshot.length, min: settings.TRAINING_MIN_EXAMPLES }, 'not enough examples to train');
      return null;
    }
    // lastRunAtMs moves when the run completes (to its start, so what arrives meanwhile counts as new): a failed run is retried.
    const startedAt = new Date();
    metrics.running.set({ model }, 1);
    const timer = metrics.runSeconds.startTimer({ model });
    let challenger: LoadedPropensityModel | undefined;
    try {
      const { train, holdout, holdoutFromMs } = splitByTime(snapshot, settings.TRAINING_HOLDOUT_FRACTION);
      const { train: fit, holdout: validation } = splitByTime(train, settings.TRAINING_VALIDATION_FRACTION);
      const version = newVersion(startedAt);
      logger.info({ model, version, reason, examples: snapshot.length, train: fit.length, validation: validation.length, holdout: holdout.length }, 'training started');
      challenger = await trainScorer({
        train: fit,
        validation,
        maxEpochs: settings.TRAINING_MAX_EPOCHS,
        batchSize: settings.TRAINING_BATCH_SIZE,
        learningRate: settings.TRAINING_LEARNING_RATE,
        patience: settings.TRAINING_PATIENCE,
        seed: settings.TRAINING_SEED,
        onEpoch: (progress) => {
          metrics.epoch.set({ model }, progress.epoch);
          metrics.epochs.inc({ model });
          metrics.loss.set({ model }, progress.loss);
          metrics.validationLoss.set({ model }, progress.validationLoss);
          logger.info({ model, version, epoch: progress.epoch, loss: progress.loss, validationLoss: progress.validationLoss }, 'epoch');
        },
      });
      const holdoutLabels = labelsOf(holdout);
      const challengerMetrics = holdoutMetrics(score(challenger, holdout), holdoutLabels);
      const baseline = baselineMetrics(labelsOf(train), holdoutLabels);
      const segments = this.computeSegments(snapshot, version);
      const files = {
        ...(await scorerArtifactFiles(challenger)),
        ...this.itemEmbeddings(train, version),
        ...(segments
          ? { 'segments.json': json({ k: segments.segmentation.k, featureNames: segments.segmentation.featureNames, standardizer: segments.segmentation.standardizer, centroids: segments.segmentation.centroids, profiles: segments.segmentation.profiles }) }
          : {}),
      };
      const stored = await store.put({
        metadata: {
          formatVersion: 1,
          modelName: model,
          version,
          kind: SCORER_KIND,
          createdAt: startedAt.toISOString(),
          parentVersion: lifecycle.current?.metadata.version ?? null,
          gitRevision: settings.GIT_REVISION ?? null,
          backend: backend.backend,
          dataWindow: {
            from: new Date(snapshot[0].eventTimeMs).toISOString(),
            to: new Date(snapshot[snapshot.length - 1].eventTimeMs).toISOString(),
            examples: snapshot.length,
            trainExamples: train.length,
            holdoutExamples: holdout.length,
            holdoutFrom: new Date(holdoutFromMs).toISOString(),
          },
          metrics: { ...challengerMetrics },
          details: {
            featureNames: featureLayout(fit),
            featureOrder: 'u.<user feature> then i.<item feature> names, sorted; a missing feature is 0; standardizer and calibrator in model.json',
            accelerator: backend.accelerator,
            backendPackage: `${backend.package}@${backend.version}`,
            trigger: reason,
            training: trainingSummary(challenger),
            baseline: { ...baseline },
          },
        },
        files,
      });
      await lifecycle.publish('trained', stored.metadata, {
        epochs: challenger.training.epochs,
        bestEpoch: challenger.training.bestEpoch,
        validationLoss: challenger.training.bestValidationLoss,
        trainExamples: fit.length,
        validationExamples: validation.length,
      });

      // Comparison and pointer move under the lifecycle lock: an admin action cannot slip in between.
      const trained = challenger;
      const summary = await lifecycle.exclusive(async (): Promise<RunSummary> => {
        const champion = lifecycle.current;
        // Challenger and champion are compared on the holdout examples the champion never trained on (usually all of them).
        const compared = champion ? unseenBy(holdout, Date.parse(champion.metadata.dataWindow.holdoutFrom)) : holdout;
        const subset = compared.length < holdout.length;
        const championMetrics = champion && compared.length > 0 ? holdoutMetrics(score(champion.model, compared), labelsOf(compared)) : null;
        const challengerCompared = subset && compared.length > 0 ? holdoutMetrics(score(trained, compared), labelsOf(compared)) : challengerMetrics;
        const eventMetrics = {
          ...challengerMetrics,
          ...(subset ? prefixed('compared.', challengerCompared) : {}),
          ...prefixed('champion.', championMetrics),
          ...prefixed('baseline.', baseline),
        };
        this.exportHoldout(challengerMetrics, championMetrics, baseline);
        await lifecycle.publish('evaluated', stored.metadata, eventMetrics);
        const decision =
          champion && compared.length < MIN_COMPARISON_EXAMPLES
            ? {
                promote: false,
                reason: `only ${compared.length} of ${holdout.length} holdout examples are newer than champion ${champion.metadata.version}'s training data (at least ${MIN_COMPARISON_EXAMPLES} needed for a fair comparison)`,
              }
            : decidePromotion(
                { metric: settings.TRAINING_PROMOTION_METRIC, margin: settings.TRAINING_PROMOTION_MARGIN },
                challengerCompared,
                champion && championMetrics ? { version: champion.metadata.version, metrics: championMetrics } : null,
                baseline,
              );
        if (decision.promote) await lifecycle.promote(version, decision.reason, eventMetrics);
        else await lifecycle.publish('rejected', stored.metadata, eventMetrics, decision.reason);
        return { version, reason, outcome: decision.promote ? 'promoted' : 'rejected', decision: decision.reason, challenger: challengerMetrics, champion: championMetrics };
      });
      this.triggers.completed(startedAt.getTime());
      metrics.runs.inc({ model, reason, outcome: summary.outcome });
      this.lastRun = { version, reason, outcome: summary.outcome, at: startedAt.toISOString() };
      if (segments) await this.writeSegments(segments, version);
      return summary;
    } catch (error) {
      this.triggers.failed(Date.now());
      metrics.runs.inc({ model, reason, outcome: 'failed' });
      this.lastRun = { reason, outcome: 'failed', at: startedAt.toISOString(), error: (error as Error).message };
      logger.error(
        { err: error, model, reason, failures: this.triggers.consecutiveFailures, retryAt: new Date(this.triggers.retryAtMs ?? Date.now()).toISOString() },
        'training run failed',
      );
      throw error;
    } finally {
      challenger?.network.dispose();
      timer();
      metrics.running.set({ model }, 0);
      this.updateGauges();
    }
  }

  /**
   * Item embeddings (libs/ml recommender, ELSA: factorised item-to-item
   * weights) from the positive (user, sku) pairs of the training part, so
   * inference can retrieve candidates and similar items. Skipped, with a log
   * line, when fewer than two items have positives.
   */
  private itemEmbeddings(train: readonly WindowedExample[], version: string): Record<string, Uint8Array> {
    const { TRAINING_EMBEDDING_FACTORS: factors, TRAINING_EMBEDDING_EPOCHS: epochs, TRAINING_SEED: seed } = this.deps.settings;
    if (factors === 0) return {};
    const positives = train.filter((example) => example.label === 1).map((example) => ({ userId: `${example.tenant}/${example.userId}`, itemId: example.sku }));
    const items = new Set(positives.map((p) => p.itemId));
    if (items.size < 2) {
      this.deps.logger.info({ version, items: items.size }, 'no item embeddings: fewer than 2 items with positives');
      return {};
    }
    const recommender = trainRecommender(positives, { family: 'elsa', elsa: { factors: Math.min(factors, items.size), epochs, seed } });
    const { metadata, weights } = recommender.toArtifact();
    return { 'recommender.json': json(metadata), 'recommender.bin': new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength) };
  }

  private computeSegments(window: readonly WindowedExample[], version: string) {
    const { settings, logger } = this.deps;
    if (settings.TRAINING_SEGMENTS === 0) return null;
    try {
      const result = computeSegments(window, settings.TRAINING_SEGMENTS, settings.TRAINING_SEED);
      if (!result) logger.info({ version, k: settings.TRAINING_SEGMENTS }, 'too few users for segments');
      return result;
    } catch (error) {
      // Segments are a by-product: their failure must not stop the model.
      logger.error({ err: error, version }, 'segments failed');
      return null;
    }
  }

  private async writeSegments(segments: NonNullable<ReturnType<typeof computeSegments>>, version: string): Promise<void> {
    try {
      const written = await writeSegments(this.deps.redis, version, segments.segmentation, segments.tenants);
      this.deps.metrics.segmentUsers.inc(written);
      this.deps.logger.info(
        { version, k: segments.segmentation.k, users: segments.segmentation.assignments.length, written, profiles: segments.segmentation.profiles.map((p) => ({ segment: p.segment, name: p.name, size: p.size })) },
        'segments written',
      );
    } catch (error) {
      this.deps.logger.error({ err: error, version }, 'writing segments failed');
    }
  }

  private exportHoldout(challenger: HoldoutMetrics, champion: HoldoutMetrics | null, baseline: HoldoutMetrics): void {
    const model = this.deps.settings.TRAINING_MODEL_NAME;
    const gauge = this.deps.metrics.holdout;
    gauge.reset();
    for (const [role, metrics] of [['challenger', challenger], ['champion', champion], ['baseline', baseline]] as const) {
      for (const [metric, value] of Object.entries(metrics ?? {})) gauge.set({ model, role, metric }, value as number);
    }
  }
}
