import { TOPICS, type ModelLifecycleEvent, type ModelStage } from '@storeloop/contracts';
import type { TopicProducer } from '@storeloop/messaging';
import { loadScorerArtifact, type ArtifactMetadata, type ArtifactStore, type ChampionPointer, type LoadedPropensityModel } from '@storeloop/ml';
import type { Logger } from '@storeloop/observability';
import { HttpProblem } from '@storeloop/platform';
import type { TrainingMetrics } from './training-metrics';

/** The champion in memory: its metadata and its loaded scorer, for holdout comparison and drift. */
export interface LoadedChampion {
  metadata: ArtifactMetadata;
  model: LoadedPropensityModel;
  previous: string[];
}

/** Champions kept in the pointer for rollback; older ones drop off (their versions stay in the store). */
export const MAX_PREVIOUS_CHAMPIONS = 20;

export interface AnnounceRetry {
  /** Attempts inline, before the change is answered. */
  attempts: number;
  initialBackoffMs: number;
  /** Backoff cap, inline and in the background. */
  maxBackoffMs: number;
}

const DEFAULT_ANNOUNCE_RETRY: AnnounceRetry = { attempts: 4, initialBackoffMs: 250, maxBackoffMs: 30_000 };

/** Unref'd: a backoff in progress must not hold the process open at shutdown. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export interface LifecycleOptions {
  modelName: string;
  store: ArtifactStore;
  producer: TopicProducer;
  logger: Logger;
  metrics: TrainingMetrics;
  /** Backend named in events about versions whose metadata is not at hand. */
  backend: string;
  announceRetry?: AnnounceRetry;
}

/**
 * Who the champion is, and every change of it: the pointer in the artifact
 * store (durable, survives restarts) and the lifecycle events on
 * retail.models.v1 (how inference learns of it). Changes are serialised, so
 * a run's promotion decision and an admin's rollback never interleave.
 *
 * The pointer moves before its event is sent, so a champion change whose
 * send fails is not lost: the event is retried inline with backoff, then kept
 * and retried in the background (and before any later event, keeping the
 * order) until Kafka takes it. A crash while one is still pending loses it;
 * every later event still names the champion (`championVersion`).
 */
export class ModelLifecycle {
  private champion: LoadedChampion | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners: ((champion: LoadedChampion | null) => void)[] = [];
  private readonly retry: AnnounceRetry;
  /** Champion changes whose event Kafka has not taken yet, oldest first. */
  private readonly pending: ModelLifecycleEvent[] = [];
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private backgroundFailures = 0;
  private closed = false;

  constructor(private readonly options: LifecycleOptions) {
    this.retry = options.announceRetry ?? DEFAULT_ANNOUNCE_RETRY;
  }

  /** Champion-change events still waiting to be sent. */
  get pendingAnnouncements(): number {
    return this.pending.length;
  }

  get modelName(): string {
    return this.options.modelName;
  }

  get current(): LoadedChampion | null {
    return this.champion;
  }

  /** Called whenever the champion changes (drift monitoring restarts on the new one). */
  onChampionChange(listener: (champion: LoadedChampion | null) => void): void {
    this.listeners.push(listener);
  }

  /** Runs `work` after every change queued before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Loads the champion named by the store's pointer (none on a fresh store). */
  async init(): Promise<void> {
    const pointer = await this.options.store.readChampion(this.modelName);
    if (!pointer) {
      this.options.logger.info({ model: this.modelName }, 'no champion yet');
      return;
    }
    await this.adopt(pointer);
    this.options.logger.info({ model: this.modelName, version: pointer.version, previous: pointer.previous }, 'champion loaded');
  }

  /**
   * Sends a lifecycle event. Pending champion changes go first (so the
   * topic's order holds); when they still cannot be sent this throws, like a
   * failed send of this event.
   */
  async publish(stage: ModelStage, metadata: ArtifactMetadata, metrics: Record<string, number>, reason?: string): Promise<ModelLifecycleEvent> {
    if (this.pending.length > 0) {
      await this.flush();
      if (this.pending.length > 0) throw new Error(`${this.pending.length} earlier champion change(s) of ${this.modelName} not announced yet`);
    }
    const event = this.event(stage, metadata, metrics, reason);
    await this.send(event);
    return event;
  }

  /** Makes `version` the champion (pointer first, then the event). Call inside `exclusive`. */
  async promote(version: string, reason: string, metrics?: Record<string, number>): Promise<ModelLifecycleEvent> {
    const before = this.champion;
    if (before?.metadata.version === version) throw new HttpProblem(409, 'TRAINING.ALREADY_CHAMPION', `${version} is already the champion`);
    const previous = before ? [before.metadata.version, ...before.previous.filter((v) => v !== version)].slice(0, MAX_PREVIOUS_CHAMPIONS) : [];
    const adopted = await this.adopt({ modelName: this.modelName, version, previous, updatedAt: new Date().toISOString() }, true);
    return this.announce(this.event('promoted', adopted.metadata, metrics ?? adopted.metadata.metrics, reason));
  }

  /** Restores the champion before the current one. Call inside `exclusive`. */
  async rollback(reason: string): Promise<ModelLifecycleEvent> {
    const current = this.champion;
    if (!current) throw new HttpProblem(409, 'TRAINING.NO_CHAMPION', `${this.modelName} has no champion to roll back`);
    const [restored, ...older] = current.previous;
    if (!restored) throw new HttpProblem(409, 'TRAINING.NO_PREVIOUS_CHAMPION', `${this.modelName} ${current.metadata.version} has no previous champion`);
    const adopted = await this.adopt({ modelName: this.modelName, version: restored, previous: older, updatedAt: new Date().toISOString() }, true);
    return this.announce(this.event('rolled_back', current.metadata, adopted.metadata.metrics, reason));
  }

  /** Stops background announcing and frees the champion's model; call once, at shutdown. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.pending.length > 0) {
      this.options.logger.error({ model: this.modelName, pending: this.pending.map((e) => `${e.stage} ${e.version}`) }, 'champion changes not announced before shutdown');
    }
    this.champion?.model.network.dispose();
    this.champion = null;
  }

  private event(stage: ModelStage, metadata: ArtifactMetadata, metrics: Record<string, number>, reason?: string): ModelLifecycleEvent {
    return {
      modelName: this.modelName,
      version: metadata.version,
      stage,
      championVersion: this.champion?.metadata.version ?? null,
      metrics,
      artifactUri: this.options.store.uri(this.modelName, metadata.version),
      backend: metadata.backend,
      at: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    };
  }

  private async send(event: ModelLifecycleEvent): Promise<void> {
    await this.options.producer.send(TOPICS.models.name, [{ key: this.modelName, value: event }]);
    this.options.metrics.lifecycleEvents.inc({ model: this.modelName, stage: event.stage });
    this.options.logger.info({ model: this.modelName, version: event.version, stage: event.stage, champion: event.championVersion, reason: event.reason }, `model ${event.stage}`);
  }

  /**
   * A champion change has happened (the pointer moved): its event must reach
   * the topic. Answers once it is sent, or once the inline attempts are spent
   * (then it stays pending and is retried in the background).
   */
  private async announce(event: ModelLifecycleEvent): Promise<ModelLifecycleEvent> {
    this.pending.push(event);
    await this.flush();
    return event;
  }

  /** Sends the pending events in order, with the inline attempts; one flush at a time (a caller waits for the one in flight, then checks again). */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0 || this.closed) return;
    this.flushing = this.sendPending(this.retry.attempts).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async sendPending(attempts: number): Promise<void> {
    let failures = 0;
    while (this.pending.length > 0 && !this.closed) {
      try {
        await this.send(this.pending[0]);
        this.pending.shift();
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= attempts) {
          this.options.logger.error({ err: error, model: this.modelName, pending: this.pending.length }, 'champion change not announced yet; retrying in the background');
          this.scheduleBackground();
          return;
        }
        await sleep(this.backoffMs(failures));
      }
    }
    this.backgroundFailures = 0;
  }

  private scheduleBackground(): void {
    if (this.closed || this.retryTimer) return;
    this.backgroundFailures += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.backoffMs(this.retry.attempts + this.backgroundFailures - 1));
    this.retryTimer.unref();
  }

  private backoffMs(failures: number): number {
    return Math.min(this.retry.maxBackoffMs, this.retry.initialBackoffMs * 2 ** Math.min(failures - 1, 30));
  }

  /** Loads the version's scorer, and (when `write`) moves the store's pointer to it; then swaps it in. */
  private async adopt(pointer: ChampionPointer, write = false): Promise<LoadedChampion> {
    const artifact = await this.options.store.get(this.modelName, pointer.version);
    if (!artifact) throw new HttpProblem(404, 'TRAINING.VERSION_NOT_FOUND', `${this.modelName} has no version ${pointer.version}`);
    const model = await loadScorerArtifact(artifact.files);
    if (write) await this.options.store.writeChampion(pointer);
    const before = this.champion;
    this.champion = { metadata: artifact.metadata, model, previous: pointer.previous };
    before?.model.network.dispose();
    this.options.metrics.champion.reset();
    this.options.metrics.champion.set({ model: this.modelName, version: pointer.version }, 1);
    for (const listener of this.listeners) listener(this.champion);
    return this.champion;
  }
}
