import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { REDIS, readSkuStoreViews, type RedisClient } from '@storeloop/feature-store';
import type { ArtifactStore } from '@storeloop/ml';
import { ROOT_LOGGER, errorMessage, type Logger } from '@storeloop/observability';
import { ForecastBaseStockPolicy, normalQuantile, type OrderPolicy } from '@storeloop/supply-chain';
import { serviceLevelOf, type ReplenishmentSettings } from '../config';
import { ReplenishmentMetrics } from '../metrics';
import { salesHistory } from '../review/forecast';
import { ReplenishmentStore } from '../store/replenishment-store';
import { ARTIFACT_STORE, REPLENISHMENT_SETTINGS } from '../tokens';
import { PolicyStore, type DataWindow, type PolicyScore, type TrainingRun } from './policy-store';
import { loadLearnedPolicies, runToReplay, type LearnedPolicies, type StoredRun } from './policy-versions';
import { runTrainingJob, type TrainingJobInput, type TrainingJobResult } from './training-job';

/** The policies a decision asks, and the forecast window their state is computed with. */
export interface ActingPolicies {
  /** Always a forecast base-stock: its parameters also set the starting stock of a simulation (see simulation.ts). */
  classical: ForecastBaseStockPolicy;
  learned?: OrderPolicy;
  forecastWindowDays: number;
}

/** Promotion rule, as the benchmark holds the learned policy: cheaper than the tuned classical one, without giving up fill rate. */
export function beatsClassical(learned: PolicyScore, classical: PolicyScore): boolean {
  return learned.cost < classical.cost && learned.fillRate >= classical.fillRate;
}

/** Runs a training job (the worker thread in production); stops when `signal` aborts. */
export type TrainingRunner = (input: TrainingJobInput, signal: AbortSignal) => Promise<TrainingJobResult>;
export const TRAINING_RUNNER = Symbol('TRAINING_RUNNER');

/** What a simulation replays: a stored run's policies, or why there are none to replay. */
export type ReplayablePolicies =
  | { kind: 'loaded'; run: StoredRun; policies: LearnedPolicies }
  /** No run fits: none has stored a policy yet, or none has the version asked for. */
  | { kind: 'none' }
  | { kind: 'load-failed'; run: StoredRun };

/** Earliest training after boot: the activity consumer first catches up with the active pairs. */
const FIRST_TRAINING_DELAY_MS = 60_000;

/** How long the pointer to the promoted policy is trusted before Redis is asked again. */
const POINTER_TTL_MS = 10_000;

/** After a failed load of the promoted artifact (a store hiccup, a bad file), the wait before it is read again. */
export const LOAD_RETRY_MS = 60_000;

/**
 * The acting policies and their retraining. Before any training, and
 * whenever the learned policy cannot be loaded, the classical forecast
 * base-stock acts with the configured window and the service level's safety
 * factor. A training run tunes both on the demand history of the active
 * pairs: the learned policy is promoted only when it costs less than the
 * classical one on held-out days at an equal or higher fill rate, and then
 * the classical policy tuned in the same run (window, safety factor) becomes
 * the baseline beside it.
 */
@Injectable()
export class PolicyRegistry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly instance = randomUUID();
  private readonly store: PolicyStore;
  private readonly defaultClassical: ForecastBaseStockPolicy;
  private acting_: ActingPolicies;
  private loadedVersion: string | null = null;
  /** The version whose load failed last, and when: retried after LOAD_RETRY_MS (one error log per try). */
  private failedLoad?: { version: string; atMs: number };
  private checkedAt = 0;
  private timer?: NodeJS.Timeout;
  private training?: Promise<TrainingRun | undefined>;
  /** The last version loaded for a simulation other than the serving one (a stored artifact never changes). */
  private replayed?: { version: string; loading: Promise<LearnedPolicies> };
  private stopped = false;
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(REPLENISHMENT_SETTINGS) private readonly settings: ReplenishmentSettings,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(TRAINING_RUNNER) private readonly runner: TrainingRunner,
    @Inject(ARTIFACT_STORE) artifacts: ArtifactStore,
    private readonly pairs: ReplenishmentStore,
    private readonly metrics: ReplenishmentMetrics,
  ) {
    this.store = new PolicyStore(redis, settings.REPLENISHMENT_TENANT, artifacts, settings.REPLENISHMENT_MODEL_NAME);
    this.defaultClassical = new ForecastBaseStockPolicy({
      leadTime: settings.REPLENISHMENT_LEAD_TIME_DAYS,
      safetyFactor: normalQuantile(serviceLevelOf(settings)),
      window: settings.REPLENISHMENT_FORECAST_WINDOW_DAYS,
    });
    this.acting_ = { classical: this.defaultClassical, forecastWindowDays: settings.REPLENISHMENT_FORECAST_WINDOW_DAYS };
  }

  async onApplicationBootstrap(): Promise<void> {
    // Redis down at boot must not stop the service: readiness says so, and the next decision asks again.
    await this.refresh().catch((error: unknown) => {
      this.checkedAt = 0;
      this.logger.warn({ err: error }, 'could not read the promoted policy at start; the classical policy acts until it can');
    });
    this.scheduleTraining();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.shutdown.abort();
    await this.training?.catch(() => undefined);
  }

  /** The policies to decide with, following the promoted version within POINTER_TTL_MS. */
  async acting(nowMs = Date.now()): Promise<ActingPolicies> {
    if (nowMs - this.checkedAt >= POINTER_TTL_MS) await this.refresh(nowMs);
    return this.acting_;
  }

  /** Loads the promoted policy when its version changed; on failure the classical policy acts. */
  async refresh(nowMs = Date.now()): Promise<void> {
    this.checkedAt = nowMs;
    const current = await this.store.current();
    if (!current || current.version === this.loadedVersion) return;
    if (this.failedLoad?.version === current.version && nowMs - this.failedLoad.atMs < LOAD_RETRY_MS) return;
    try {
      this.acting_ = await loadLearnedPolicies(this.store, current.version, this.settings.REPLENISHMENT_LEAD_TIME_DAYS);
      // Only a loaded version counts as loaded: a failed one is read again (after LOAD_RETRY_MS).
      this.loadedVersion = current.version;
      this.failedLoad = undefined;
      this.metrics.policyVersion.set(Number(current.version) || 0);
      this.logger.info({ version: current.version, uri: current.artifactUri }, 'learned policy loaded');
    } catch (error) {
      this.acting_ = { classical: this.defaultClassical, forecastWindowDays: this.settings.REPLENISHMENT_FORECAST_WINDOW_DAYS };
      this.loadedVersion = null;
      this.failedLoad = { version: current.version, atMs: nowMs };
      this.metrics.policyVersion.set(0);
      this.logger.error(
        { err: error, version: current.version, retryInMs: LOAD_RETRY_MS },
        'could not load the promoted learned policy; the classical policy acts until a retry loads it',
      );
    }
  }

  get defaultClassicalPolicy(): ForecastBaseStockPolicy {
    return this.defaultClassical;
  }

  get isTraining(): boolean {
    return this.training !== undefined;
  }

  currentRun(): Promise<TrainingRun | null> {
    return this.store.current();
  }

  runs(): Promise<TrainingRun[]> {
    return this.store.runs();
  }

  /**
   * The policies of a stored run, for a simulation: `version` when given,
   * else the promoted run, else the newest run with an artifact (a rejected
   * one: short trainings rarely beat the tuned classical policy). The
   * serving version comes from the acting policies; another is loaded the
   * same way and kept until a different one is asked for.
   */
  async replayable(version?: string): Promise<ReplayablePolicies> {
    const [promoted, runs] = await Promise.all([this.store.current(), this.store.runs()]);
    const run = runToReplay(promoted, runs, version);
    if (!run) return { kind: 'none' };
    const acting = await this.acting();
    if (acting.learned && run.version === this.loadedVersion) {
      return { kind: 'loaded', run, policies: { learned: acting.learned, classical: acting.classical, forecastWindowDays: acting.forecastWindowDays } };
    }
    let replayed = this.replayed;
    if (replayed?.version !== run.version) {
      const loading = loadLearnedPolicies(this.store, run.version, this.settings.REPLENISHMENT_LEAD_TIME_DAYS);
      replayed = { version: run.version, loading };
      this.replayed = replayed;
      // A failed load is not kept: the next simulation reads the artifact again.
      loading.catch(() => {
        if (this.replayed?.loading === loading) this.replayed = undefined;
      });
    }
    try {
      return { kind: 'loaded', run, policies: await replayed.loading };
    } catch (error) {
      this.logger.warn({ err: error, version: run.version, uri: run.artifactUri }, 'could not load a stored learned policy for a simulation');
      return { kind: 'load-failed', run };
    }
  }

  /**
   * Schedules the next run REPLENISHMENT_RETRAIN_INTERVAL_MS after the last
   * one recorded in Redis (by any replica), so restarts neither postpone
   * training forever nor repeat it; a service that never trained starts
   * soon after boot, once its consumer has had time to see the active pairs.
   * A skipped run (no history yet, or another replica training) waits a
   * whole interval.
   */
  private scheduleTraining(skipped = false): void {
    const interval = this.settings.REPLENISHMENT_RETRAIN_INTERVAL_MS;
    if (interval === 0 || this.stopped) return;
    void this.store
      .runs()
      .then(([last]) => (skipped ? interval : last ? Date.parse(last.finishedAt) + interval - Date.now() : 0))
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not read the last training run; retrying after the interval');
        return interval;
      })
      .then((due) => {
        if (this.stopped) return;
        this.timer = setTimeout(() => {
          void this.train().then((run) => this.scheduleTraining(run === undefined));
        }, Math.max(due, FIRST_TRAINING_DELAY_MS));
      });
  }

  /**
   * One training run, unless one is running here or on another replica
   * (then undefined). Never throws: a failed run is recorded and logged and
   * the acting policies stay as they were.
   */
  train(): Promise<TrainingRun | undefined> {
    if (this.training) return Promise.resolve(undefined);
    this.training = this.trainOnce().finally(() => {
      this.training = undefined;
    });
    return this.training;
  }

  private async trainOnce(): Promise<TrainingRun | undefined> {
    const leaseMs = this.settings.REPLENISHMENT_TRAIN_BUDGET_MS + 5 * 60_000;
    if (!(await this.pairs.acquireLease('train', this.instance, leaseMs))) {
      this.metrics.trainings.inc({ outcome: 'skipped' });
      return undefined;
    }
    const end = this.metrics.trainingSeconds.startTimer();
    const startedAt = new Date().toISOString();
    let version = '';
    try {
      const series = await this.trainingSeries();
      if (series.length === 0) {
        this.metrics.trainings.inc({ outcome: 'skipped' });
        this.logger.info({ minDays: this.settings.REPLENISHMENT_TRAIN_MIN_DAYS + this.settings.REPLENISHMENT_TRAIN_TEST_DAYS }, 'no pair has enough sales history to train on yet');
        return undefined;
      }
      version = await this.store.nextVersion();
      this.logger.info({ version, series: series.length }, 'training the learned replenishment policy');
      const input: TrainingJobInput = {
        series,
        leadTimeDays: this.settings.REPLENISHMENT_LEAD_TIME_DAYS,
        holdingCost: this.settings.REPLENISHMENT_HOLDING_COST,
        penaltyCost: this.settings.REPLENISHMENT_PENALTY_COST,
        budgetMs: this.settings.REPLENISHMENT_TRAIN_BUDGET_MS,
        algorithm: this.settings.REPLENISHMENT_TRAIN_ALGORITHM,
        states: this.settings.REPLENISHMENT_TRAIN_STATES,
        epochs: this.settings.REPLENISHMENT_TRAIN_EPOCHS,
        iterations: this.settings.REPLENISHMENT_TRAIN_ITERATIONS,
        testDays: this.settings.REPLENISHMENT_TRAIN_TEST_DAYS,
        seed: this.settings.REPLENISHMENT_TRAIN_SEED,
        version,
      };
      const result = await this.runner(input, this.shutdown.signal);
      const better = beatsClassical(result.learned, result.classical);
      const artifactUri = await this.store.writeArtifact(result.artifact, {
        backend: result.backend,
        parentVersion: (await this.store.current())?.version ?? null,
        dataWindow: dataWindowOf(series, result.testDays, Date.now()),
        metrics: {
          learnedCost: result.learned.cost,
          learnedFillRate: result.learned.fillRate,
          classicalCost: result.classical.cost,
          classicalFillRate: result.classical.fillRate,
        },
        gitRevision: this.settings.GIT_REVISION ?? null,
      });
      const run: TrainingRun = {
        version,
        outcome: better ? 'promoted' : 'rejected',
        startedAt,
        finishedAt: new Date().toISOString(),
        trainSeconds: result.trainSeconds,
        backend: result.backend,
        series: series.length,
        testDays: result.testDays,
        learned: result.learned,
        classical: result.classical,
        artifactUri,
        ...(better ? {} : { reason: 'on the held-out days the learned policy did not cost less than the tuned classical policy at an equal or higher fill rate' }),
      };
      await this.store.record(run);
      this.metrics.trainings.inc({ outcome: run.outcome });
      this.logger.info(run, `training run ${version} ${run.outcome}`);
      if (better) await this.refresh();
      return run;
    } catch (error) {
      const run: TrainingRun = {
        version: version || 'none',
        outcome: 'failed',
        startedAt,
        finishedAt: new Date().toISOString(),
        trainSeconds: 0,
        series: 0,
        testDays: 0,
        reason: errorMessage(error),
      };
      await this.store.record(run).catch(() => undefined);
      this.metrics.trainings.inc({ outcome: 'failed' });
      this.logger.error({ err: error, version }, 'training run failed; the acting policies stay');
      return run;
    } finally {
      end();
      await this.pairs.releaseLease('train', this.instance).catch(() => undefined);
    }
  }

  /** Sales histories of the most recently active pairs with REPLENISHMENT_TRAIN_MIN_DAYS + REPLENISHMENT_TRAIN_TEST_DAYS days since their first sale. */
  private async trainingSeries(): Promise<number[][]> {
    const wanted = this.settings.REPLENISHMENT_TRAIN_MAX_SERIES;
    const series: number[][] = [];
    for await (const pairs of this.pairs.mostRecentlyActive(this.settings.REPLENISHMENT_REVIEW_BATCH)) {
      const views = await readSkuStoreViews(this.redis, pairs, { tenant: this.settings.REPLENISHMENT_TENANT });
      for (const view of views) {
        const history = salesHistory(view.dailyUnitsSold);
        if (history.length >= this.settings.REPLENISHMENT_TRAIN_MIN_DAYS + this.settings.REPLENISHMENT_TRAIN_TEST_DAYS) series.push(history);
        if (series.length >= wanted) return series;
      }
    }
    return series;
  }
}

const DAY_MS = 86_400_000;

/** The days a run covers: the series end on the last completed UTC day; the last `testDays` are held out. */
export function dataWindowOf(series: readonly number[][], testDays: number, nowMs: number): DataWindow {
  const end = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const longest = Math.max(...series.map((s) => s.length));
  const examples = series.reduce((sum, s) => sum + s.length, 0);
  const holdoutExamples = series.reduce((sum, s) => sum + Math.min(testDays, s.length), 0);
  return {
    from: new Date(end - longest * DAY_MS).toISOString(),
    to: new Date(end).toISOString(),
    examples,
    trainExamples: examples - holdoutExamples,
    holdoutExamples,
    holdoutFrom: new Date(end - testDays * DAY_MS).toISOString(),
  };
}

/** The production runner: a worker thread per run. */
export const workerTrainingRunner: TrainingRunner = (input, signal) => runTrainingJob(input, signal);
