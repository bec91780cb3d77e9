import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { modelLifecycleEventSchema, TOPICS, type ModelLifecycleEvent } from '@storeloop/contracts';
import { CrashRecovery, retryKafkaCall, type TopicNamer } from '@storeloop/messaging';
import { byCreation, type ArtifactStore } from '@storeloop/ml';
import type { Logger } from '@storeloop/observability';
import type { Consumer, ConsumerRunConfig, Kafka } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { InferenceSettings } from '../config';
import { stableBucket } from '../serving/stable-hash';
import { buildServingModel, ModelLoadError, type ServingModel } from './serving-model';

export type Arm = 'champion' | 'challenger';

export interface ModelChoice {
  model: ServingModel;
  arm: Arm;
}

export interface RegistryDeps {
  settings: InferenceSettings;
  kafka: Kafka;
  namer: TopicNamer;
  store: ArtifactStore;
  logger: Logger;
  registry: Registry;
  /** Builds the serving form of a version (tests pass a counting wrapper). */
  build?: typeof buildServingModel;
}

/**
 * Which versions serve. The champion comes from the store's pointer at start
 * (so an instance serves before it has read the lifecycle topic) and then
 * from `championVersion` of every event on retail.models.v1 for this model;
 * the pointer is also re-read every INFERENCE_MODEL_POLL_MS, so an event the
 * trainer failed to announce does not leave an instance on an old champion
 * for ever. Every instance reads every event (a group of its own, nothing
 * committed).
 *
 * A swap builds the new version completely off to the side and then replaces
 * one reference: requests in flight finish on the version they started with,
 * the next ones see the new one, none fails or waits. A version that cannot
 * load is logged and counted, and the one serving stays.
 */
export class ModelRegistry {
  private championModel: ServingModel | null = null;
  private challengerModel: ServingModel | null = null;
  private consumer: Consumer | null = null;
  private recovery?: CrashRecovery;
  private timer: NodeJS.Timeout | undefined;
  /** Swaps are serialised: events, polls and admin reloads apply in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly build: typeof buildServingModel;
  private readonly failedVersions = new Map<string, string>();
  private lastEvent: ModelLifecycleEvent | null = null;
  /** End offsets of the lifecycle topic when this instance started: events before them are history. */
  private readonly replayUntil = new Map<number, number>();
  /** Versions rejected or rolled back (by lifecycle events) or replaced as champion (the pointer's `previous`): never a challenger. */
  private readonly retired = new Set<string>();
  private started = false;
  private readonly swaps: Counter<'arm'>;
  private readonly loadFailures: Counter<'version'>;
  private readonly info: Gauge<'model' | 'version' | 'arm'>;

  constructor(private readonly deps: RegistryDeps) {
    this.build = deps.build ?? buildServingModel;
    this.swaps = new Counter({ name: 'inference_model_swaps_total', help: 'Serving versions replaced, by arm', labelNames: ['arm'], registers: [deps.registry] });
    this.loadFailures = new Counter({
      name: 'inference_model_load_failures_total',
      help: 'Versions that could not be loaded (the previous one kept serving)',
      labelNames: ['version'],
      registers: [deps.registry],
    });
    this.info = new Gauge({ name: 'inference_model_info', help: 'Versions serving, by arm (value 1)', labelNames: ['model', 'version', 'arm'], registers: [deps.registry] });
  }

  get modelName(): string {
    return this.deps.settings.INFERENCE_MODEL_NAME;
  }

  get champion(): ServingModel | null {
    return this.championModel;
  }

  get challenger(): ServingModel | null {
    return this.challengerModel;
  }

  /** True once the first load from the store pointer was attempted (with or without a champion). */
  get ready(): boolean {
    return this.started;
  }

  /**
   * The version that serves this user: the challenger for a stable share of
   * users (hash of tenant and user id, salted), the champion otherwise; null
   * when nothing is loaded (the caller answers with popularity).
   */
  choose(tenant: string, userId: string): ModelChoice | null {
    const { INFERENCE_CHALLENGER_SHARE: share, INFERENCE_AB_SALT: salt } = this.deps.settings;
    const challenger = this.challengerModel;
    if (challenger && share > 0 && stableBucket(`${tenant}\u0000${userId}`, salt) < share) return { model: challenger, arm: 'challenger' };
    return this.championModel ? { model: this.championModel, arm: 'champion' } : challenger ? { model: challenger, arm: 'challenger' } : null;
  }

  async start(): Promise<void> {
    await this.enqueue(() => this.syncFromPointer('start'));
    this.started = true;
    const { kafka, namer, settings, logger } = this.deps;
    const groupId = `${settings.INFERENCE_MODELS_GROUP}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const topic = namer.physical(TOPICS.models.name);
    // The history before now is read for what it says about versions (rejected, rolled back), not
    // applied: the pointer just loaded is newer than any of it, and replaying old promotions would
    // swap old champions in and out for a while (the topic is compacted, its active segment is not).
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await retryKafkaCall('reading the models topic ends', () => admin.fetchTopicOffsets(topic), { logger });
      for (const { partition, high } of ends) this.replayUntil.set(partition, Number(high));
    } finally {
      await admin.disconnect();
    }
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const runConfig: ConsumerRunConfig = {
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (!message.value) return;
        let event: ModelLifecycleEvent;
        try {
          event = modelLifecycleEventSchema.parse(JSON.parse(message.value.toString('utf8')));
        } catch (error) {
          logger.warn({ err: error, offset: message.offset }, 'unreadable model lifecycle event skipped');
          return;
        }
        this.observe(event, Number(message.offset) < (this.replayUntil.get(partition) ?? 0));
      },
    };
    // A crash kafkajs does not restart on would leave this instance deaf to promotions until the next poll.
    this.recovery = new CrashRecovery({ consumer, groupId, run: () => consumer.run(runConfig), logger });
    await consumer.run(runConfig);
    if (settings.INFERENCE_MODEL_POLL_MS > 0) {
      this.timer = setInterval(() => void this.enqueue(() => this.syncFromPointer('poll')), settings.INFERENCE_MODEL_POLL_MS);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.recovery?.stop();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.queue.catch(() => undefined);
  }

  /** Re-reads the pointer and the challenger now (admin endpoint); resolves when done. */
  reload(): Promise<void> {
    return this.enqueue(() => this.syncFromPointer('admin'));
  }

  status() {
    const describe = (model: ServingModel | null) =>
      model && { version: model.version, createdAt: model.metadata.createdAt, loadedAt: model.loadedAt, metrics: model.metadata.metrics, items: model.embeddings?.size ?? 0, scorer: model.scorer !== null };
    return {
      modelName: this.modelName,
      champion: describe(this.championModel),
      challenger: describe(this.challengerModel),
      challengerShare: this.challengerModel ? this.deps.settings.INFERENCE_CHALLENGER_SHARE : 0,
      challengerSetting: this.deps.settings.INFERENCE_CHALLENGER,
      lastEvent: this.lastEvent && { version: this.lastEvent.version, stage: this.lastEvent.stage, championVersion: this.lastEvent.championVersion, at: this.lastEvent.at },
      failedVersions: Object.fromEntries(this.failedVersions),
    };
  }

  /**
   * One lifecycle event: remembered (a rejected or rolled-back version never
   * challenges), and applied unless it is history from before this instance
   * started. Public for unit tests.
   */
  observe(event: ModelLifecycleEvent, history: boolean): Promise<void> {
    if (event.modelName !== this.modelName) return Promise.resolve();
    this.lastEvent = event;
    if (event.stage === 'rejected' || event.stage === 'rolled_back') this.retired.add(event.version);
    if (event.stage === 'promoted') this.retired.delete(event.version);
    if (history) return Promise.resolve();
    // Not awaited by the consumer: a slow load must not stall its heartbeat; the queue keeps the order.
    return this.enqueue(() => this.applyEvent(event));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task).catch((error) => this.deps.logger.error({ err: error }, 'model registry update failed'));
    this.queue = next;
    return next;
  }

  private async applyEvent(event: ModelLifecycleEvent): Promise<void> {
    if (event.championVersion && event.championVersion !== this.championModel?.version) await this.swapChampion(event.championVersion, `${event.stage} event for ${event.version}`);
    await this.syncChallenger();
  }

  private async syncFromPointer(why: string): Promise<void> {
    const pointer = await this.deps.store.readChampion(this.modelName);
    for (const version of pointer?.previous ?? []) this.retired.add(version);
    if (pointer) this.retired.delete(pointer.version);
    if (pointer && pointer.version !== this.championModel?.version) await this.swapChampion(pointer.version, `champion pointer (${why})`);
    await this.syncChallenger();
  }

  private async syncChallenger(): Promise<void> {
    const setting = this.deps.settings.INFERENCE_CHALLENGER;
    if (setting === 'none') return;
    let version: string | null = setting;
    if (setting === 'latest') {
      const versions = (await this.deps.store.list(this.modelName)).sort(byCreation);
      const newest = versions.reverse().find((metadata) => metadata.version !== this.championModel?.version && !this.retired.has(metadata.version));
      // Only a version newer than the champion challenges it; an older one is history.
      version = newest && (!this.championModel || byCreation(newest, this.championModel.metadata) > 0) ? newest.version : null;
    }
    if (version === this.championModel?.version) version = null;
    if (version === (this.challengerModel?.version ?? null)) return;
    if (version === null) {
      this.replace('challenger', null, 'no challenger newer than the champion');
      return;
    }
    const model = await this.load(version);
    if (model) this.replace('challenger', model, `challenger ${setting}`);
  }

  private async swapChampion(version: string, why: string): Promise<void> {
    // The old challenger may be what is promoted: reuse it, no second load.
    const model = this.challengerModel?.version === version ? this.challengerModel : await this.load(version);
    if (!model) return;
    this.replace('champion', model, why);
    if (this.challengerModel?.version === version) this.replace('challenger', null, 'promoted to champion');
  }

  private async load(version: string): Promise<ServingModel | null> {
    if (this.failedVersions.has(version)) return null;
    try {
      const artifact = await this.deps.store.get(this.modelName, version);
      if (!artifact) throw new ModelLoadError('INFERENCE.MODEL_NOT_FOUND', `${this.modelName}/${version} is not in the ${this.deps.store.kind} store`);
      return await this.build(artifact);
    } catch (error) {
      this.loadFailures.inc({ version });
      // Not-found is retried (the pointer may name a version still being copied); an invalid one is not.
      if ((error as ModelLoadError).code === 'INFERENCE.MODEL_INVALID') this.failedVersions.set(version, (error as Error).message);
      this.deps.logger.error({ err: error, model: this.modelName, version }, 'model version could not be loaded; the serving one stays');
      return null;
    }
  }

  private replace(arm: Arm, model: ServingModel | null, why: string): void {
    const previous = arm === 'champion' ? this.championModel : this.challengerModel;
    if (arm === 'champion') this.championModel = model;
    else this.challengerModel = model;
    if (previous) this.info.remove({ model: this.modelName, version: previous.version, arm });
    if (model) this.info.set({ model: this.modelName, version: model.version, arm }, 1);
    this.swaps.inc({ arm });
    this.deps.logger.info(
      { model: this.modelName, arm, version: model?.version ?? null, previous: previous?.version ?? null, why, items: model?.embeddings?.size ?? 0 },
      model ? 'serving version loaded' : 'serving version removed',
    );
  }
}
