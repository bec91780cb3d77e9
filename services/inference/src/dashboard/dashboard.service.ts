import { identifier } from '@storeloop/contracts';
import { getOrCreateCounter, getOrCreateGauge, parsePrometheusText, type Logger } from '@storeloop/observability';
import { HttpProblem } from '@storeloop/platform';
import type { Counter, Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import type { InferenceSettings } from '../config';
import type { OnlineMetrics, OnlineModelMetrics } from '../feedback/online-metrics';
import type { ModelRegistry } from '../models/model-registry';
import type { Recommendation, RecommendationEngine } from '../recommend/engine';
import { FeatureStoreUnavailable } from '../recommend/feature-store-gate';
import type { DashboardSettings } from './dashboard-settings';
import { SeriesWindow, type PlottedSeries } from './series-window';

/** Stable error codes of `/v1/admin/dashboard/*`. */
export const DASHBOARD_ERRORS = {
  paramInvalid: 'DASHBOARD.PARAM_INVALID',
  /** The target did not answer, answered an error, or answered something that is not the expected JSON. */
  targetUnavailable: 'DASHBOARD.TARGET_UNAVAILABLE',
  /** The target refused the request (400/404): the SKU x store is unknown there, or a parameter is out of its range. */
  targetRefused: 'DASHBOARD.TARGET_REFUSED',
  targetNotConfigured: 'DASHBOARD.TARGET_NOT_CONFIGURED',
  apiKeyUnset: 'DASHBOARD.API_KEY_UNSET',
} as const;

/** Nobody has polled for this long: scraping stops until the next poll (no cost when nobody watches). */
export const WATCH_IDLE_MS = 60_000;
const CALL_TIMEOUT_MS = 5_000;
/** The replenishment service's own bounds of `days` (its SIMULATION_DAYS). */
const SIMULATION_DAYS = { default: 56, min: 7, max: 365 } as const;
const PAIRS_LISTED = 200;

const curvePoint = z.object({ epoch: z.number(), loss: z.number(), validationLoss: z.number() });
const trainingVersion = z.looseObject({
  version: z.string(),
  createdAt: z.string().optional(),
  champion: z.boolean().optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
  details: z.looseObject({ training: z.looseObject({ curve: z.unknown().optional() }).optional() }).optional(),
  training: z.looseObject({ curve: z.unknown().optional() }).optional(),
});
const trainingVersions = z.looseObject({ versions: z.array(trainingVersion) });

const simulationSide = z.object({ onHand: z.number(), order: z.number() });
const simulationTotals = z.object({ cost: z.number(), fillRate: z.number() });
const simulation = z.looseObject({
  sku: z.string(),
  store: z.string(),
  days: z.number(),
  policy: z.looseObject({ version: z.string().nullable().optional(), promoted: z.boolean().optional(), outcome: z.enum(['promoted', 'rejected']).optional() }).optional(),
  series: z.array(z.looseObject({ day: z.number(), date: z.string().optional(), demand: z.number(), learned: simulationSide, baseStock: simulationSide })),
  totals: z.object({ learned: simulationTotals, baseStock: simulationTotals }),
});
export type Simulation = z.infer<typeof simulation>;
const pairList = z.looseObject({ pairs: z.array(z.looseObject({ sku: z.string(), store: z.string() })) });

export type CurvePoint = z.infer<typeof curvePoint>;

export interface VersionRow {
  version: string;
  createdAt: string | null;
  /** Champion per the training service's pointer (or, without it, this instance). */
  champion: boolean;
  /** The arm this instance serves the version on, if any. */
  serving: 'champion' | 'challenger' | null;
  /** Holdout metrics written at training time (auc, logLoss, calibrationError, examples, positiveRate). */
  offline: Record<string, number> | null;
  online: Pick<OnlineModelMetrics, 'impressions' | 'clicks' | 'purchases' | 'ctr' | 'conversion'> | null;
  /** Loss and validation loss per epoch; null for versions trained before curves were kept. */
  curve: CurvePoint[] | null;
}

export interface SourceError {
  code: string;
  message: string;
  target?: string;
}

export interface TargetState {
  name: string;
  baseUrl: string;
  up: boolean | null;
  lastScrapeAt: string | null;
  error: string | null;
}

export interface DashboardDeps {
  settings: DashboardSettings;
  inference: Pick<InferenceSettings, 'INFERENCE_TENANTS' | 'INFERENCE_DEFAULT_K' | 'INFERENCE_MAX_K'>;
  registry: Pick<ModelRegistry, 'status'>;
  online: Pick<OnlineMetrics, 'snapshot'>;
  engine: Pick<RecommendationEngine, 'recommend'>;
  logger: Logger;
  metrics: Registry;
  fetch?: typeof fetch;
  now?: () => number;
}

const id = identifier();

/**
 * What the dashboard page shows: a scraped window of the targets' /metrics
 * (only while someone polls), model versions joined from this instance and
 * the training service, a recommendation preview that is not an impression,
 * and the replenishment simulation of a SKU x store.
 */
export class DashboardService {
  private readonly window: SeriesWindow;
  private readonly targets = new Map<string, TargetState>();
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly scrapes: Counter<'target' | 'outcome'>;
  private readonly up: Gauge<'target'>;
  private lastWatchedAt = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  /** The training service's versions, reused for one scrape interval however many pages poll. */
  private trainingCache?: { at: number; answer: Promise<{ rows: z.infer<typeof trainingVersions>['versions'] } | { error: SourceError }> };

  constructor(private readonly deps: DashboardDeps) {
    this.window = new SeriesWindow(deps.settings.DASHBOARD_WINDOW);
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.now = deps.now ?? Date.now;
    for (const target of deps.settings.DASHBOARD_TARGETS) this.targets.set(target.name, { ...target, up: null, lastScrapeAt: null, error: null });
    this.scrapes = getOrCreateCounter(deps.metrics, { name: 'dashboard_scrapes_total', help: 'Scrapes of dashboard targets, by target and outcome (ok, failed)', labelNames: ['target', 'outcome'] as const });
    this.up = getOrCreateGauge(deps.metrics, { name: 'dashboard_target_up', help: '1 when the last scrape of the target succeeded, 0 when it failed (as of the last scrape: nothing is scraped while nobody watches)', labelNames: ['target'] as const });
  }

  /** A page polled: scrape every DASHBOARD_SCRAPE_INTERVAL_MS until nobody has for WATCH_IDLE_MS. */
  watch(): void {
    this.lastWatchedAt = this.now();
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.deps.settings.DASHBOARD_SCRAPE_INTERVAL_MS);
    this.timer.unref();
    void this.tick();
  }

  get watching(): boolean {
    return this.timer !== undefined;
  }

  /** Nest's shutdown hook: no scrape starts after it. */
  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    return this.round ?? Promise.resolve();
  }

  /** One scrape of every target (public for tests); a call while one runs waits for that one. */
  async tick(): Promise<void> {
    if (this.now() - this.lastWatchedAt > WATCH_IDLE_MS) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.round) return this.round;
    const at = this.now();
    this.round = Promise.all([...this.targets.values()].map((target) => this.scrape(target, at))).then(() => undefined);
    try {
      await this.round;
    } finally {
      this.round = undefined;
    }
  }

  series(): { intervalMs: number; window: number; targets: TargetState[]; events: PlottedSeries[]; lag: PlottedSeries[] } {
    return { intervalMs: this.deps.settings.DASHBOARD_SCRAPE_INTERVAL_MS, window: this.deps.settings.DASHBOARD_WINDOW, targets: [...this.targets.values()], ...this.window.snapshot() };
  }

  /** Versions from the training service (offline metrics, curves) joined with what this instance serves and the online figures. */
  async models(): Promise<{ modelName: string; challengerShare: number; versions: VersionRow[]; training: SourceError | null }> {
    const status = this.deps.registry.status();
    // Redis down or slow: the versions without their online figures (the page says "no data"), not an error.
    const online = this.deps.online.snapshot().catch((error: unknown) => {
      if (error instanceof FeatureStoreUnavailable) return [];
      throw error;
    });
    const [onlineRows, training] = await Promise.all([online, this.trainingVersions(status.modelName)]);
    const onlineByVersion = new Map(onlineRows.filter((row) => row.modelName === null || row.modelName === status.modelName).map((row) => [row.version, row]));
    const serving = (version: string) => (status.champion?.version === version ? 'champion' : status.challenger?.version === version ? 'challenger' : null);
    const onlineOf = (version: string) => {
      const row = onlineByVersion.get(version);
      return row ? { impressions: row.impressions, clicks: row.clicks, purchases: row.purchases, ctr: row.ctr, conversion: row.conversion } : null;
    };
    const rows: VersionRow[] = [];
    if ('rows' in training) {
      for (const version of training.rows) {
        rows.push({
          version: version.version,
          createdAt: version.createdAt ?? null,
          champion: version.champion ?? false,
          serving: serving(version.version),
          offline: numbers(version.metrics),
          online: onlineOf(version.version),
          curve: curveOf(version.details?.training?.curve ?? version.training?.curve),
        });
      }
    } else {
      for (const model of [status.champion, status.challenger]) {
        if (!model) continue;
        rows.push({ version: model.version, createdAt: model.createdAt, champion: model === status.champion, serving: serving(model.version), offline: numbers(model.metrics), online: onlineOf(model.version), curve: null });
      }
    }
    // Versions with online figures only: popularity answers, and versions no longer stored.
    for (const version of onlineByVersion.keys()) {
      if (!rows.some((row) => row.version === version)) rows.push({ version, createdAt: null, champion: false, serving: null, offline: null, online: onlineOf(version), curve: null });
    }
    return { modelName: status.modelName, challengerShare: status.challengerShare, versions: rows, training: 'error' in training ? training.error : null };
  }

  /** The list the storefront route would answer, without the impression and the served counters: a preview is nobody's exposure. */
  async preview(query: Record<string, unknown>): Promise<Recommendation & { impressionLogged: false }> {
    const { INFERENCE_TENANTS, INFERENCE_DEFAULT_K, INFERENCE_MAX_K } = this.deps.inference;
    const userId = requiredId('user', query.user);
    const k = wholeNumber('k', query.k, INFERENCE_DEFAULT_K, 1, INFERENCE_MAX_K);
    const store = query.store === undefined || query.store === '' ? undefined : requiredId('store', query.store);
    const tenant = query.tenant === undefined || query.tenant === '' ? INFERENCE_TENANTS[0] : String(query.tenant);
    if (!INFERENCE_TENANTS.includes(tenant)) throw new HttpProblem(400, DASHBOARD_ERRORS.paramInvalid, `tenant ${JSON.stringify(tenant)} is not served here (INFERENCE_TENANTS: ${INFERENCE_TENANTS.join(', ')})`);
    const answer = await this.deps.engine.recommend({ tenant, userId, k, store, surface: 'dashboard-preview' });
    return { ...answer, impressionLogged: false };
  }

  /** The replenishment service's day-by-day simulation of the learned policy against base-stock for one SKU x store. */
  async replenishment(query: Record<string, unknown>): Promise<Simulation> {
    const sku = requiredId('sku', query.sku);
    const store = requiredId('store', query.store);
    const days = wholeNumber('days', query.days, SIMULATION_DAYS.default, SIMULATION_DAYS.min, SIMULATION_DAYS.max);
    const body = await this.callTarget('replenishment', `/v1/replenishment/${encodeURIComponent(sku)}/${encodeURIComponent(store)}/simulation?days=${days}`);
    const parsed = simulation.safeParse(body);
    if (!parsed.success) throw new HttpProblem(502, DASHBOARD_ERRORS.targetUnavailable, `replenishment answered a simulation of another shape: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`, { target: 'replenishment' });
    return parsed.data;
  }

  /** The SKU x store pairs the replenishment service reviews, most recently active first. */
  async replenishmentPairs(): Promise<{ pairs: { sku: string; store: string }[] }> {
    const parsed = pairList.safeParse(await this.callTarget('replenishment', `/v1/replenishment/pairs?limit=${PAIRS_LISTED}`));
    if (!parsed.success) throw new HttpProblem(502, DASHBOARD_ERRORS.targetUnavailable, 'replenishment answered pairs of another shape', { target: 'replenishment' });
    return { pairs: parsed.data.pairs.map(({ sku, store }) => ({ sku, store })) };
  }

  private trainingVersions(modelName: string): Promise<{ rows: z.infer<typeof trainingVersions>['versions'] } | { error: SourceError }> {
    const now = this.now();
    if (this.trainingCache && now - this.trainingCache.at < this.deps.settings.DASHBOARD_SCRAPE_INTERVAL_MS) return this.trainingCache.answer;
    const answer = this.callTarget('training', `/v1/models/${encodeURIComponent(modelName)}/versions`).then(
      (body) => {
        const parsed = trainingVersions.safeParse(body);
        return parsed.success ? { rows: parsed.data.versions } : { error: { code: DASHBOARD_ERRORS.targetUnavailable, message: 'training answered versions of another shape', target: 'training' } };
      },
      (error: unknown) => ({ error: sourceError(error, 'training') }),
    );
    this.trainingCache = { at: now, answer };
    return answer;
  }

  /** GET on a target's API with DASHBOARD_API_KEY; its failures become DASHBOARD.* problems naming the target. */
  private async callTarget(name: string, path: string): Promise<unknown> {
    const target = this.targets.get(name);
    if (!target) throw new HttpProblem(503, DASHBOARD_ERRORS.targetNotConfigured, `no "${name}" target in DASHBOARD_TARGETS`, { target: name });
    const key = this.deps.settings.DASHBOARD_API_KEY;
    if (!key) throw new HttpProblem(503, DASHBOARD_ERRORS.apiKeyUnset, `DASHBOARD_API_KEY is not set: the dashboard cannot ask ${name}`, { target: name });
    let response: Response;
    try {
      response = await this.fetch(`${target.baseUrl}${path}`, { headers: { 'X-Api-Key': key, Accept: 'application/json' }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    } catch (error) {
      throw new HttpProblem(503, DASHBOARD_ERRORS.targetUnavailable, `${name} did not answer: ${reason(error)}`, { target: name });
    }
    const text = await response.text().catch(() => '');
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw new HttpProblem(502, DASHBOARD_ERRORS.targetUnavailable, `${name} answered ${response.status} with a body that is not JSON`, { target: name, targetStatus: response.status });
    }
    if (response.ok) return body;
    const problem = (body ?? {}) as { code?: unknown; message?: unknown };
    const targetCode = typeof problem.code === 'string' ? problem.code : null;
    const message = typeof problem.message === 'string' ? problem.message : `status ${response.status}`;
    // The target's 400/404 are about the caller's question; its 401/403 mean DASHBOARD_API_KEY lacks a scope
    // (a server-side setting, so a 502, not the browser's key being wrong); anything else is an outage.
    const refusedKey = response.status === 401 || response.status === 403;
    const status = response.status === 400 || response.status === 404 ? response.status : 502;
    const code = status !== 502 || refusedKey ? DASHBOARD_ERRORS.targetRefused : DASHBOARD_ERRORS.targetUnavailable;
    const hint = refusedKey ? ' (DASHBOARD_API_KEY needs the admin and infer scopes)' : '';
    throw new HttpProblem(status, code, `${name} answered ${response.status}${targetCode ? ` ${targetCode}` : ''}: ${message}${hint}`, {
      target: name,
      targetStatus: response.status,
      targetCode,
    });
  }

  private async scrape(target: TargetState, at: number): Promise<void> {
    try {
      const response = await this.fetch(`${target.baseUrl}/metrics`, { signal: AbortSignal.timeout(Math.min(CALL_TIMEOUT_MS, this.deps.settings.DASHBOARD_SCRAPE_INTERVAL_MS)) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const samples = parsePrometheusText(await response.text());
      // Every service exposes the Node defaults: an answer without a sample is not a /metrics page (a proxy's error page, say).
      if (samples.length === 0) throw new Error('the answer holds no Prometheus sample');
      this.window.record(target.name, samples, at);
      target.up = true;
      target.error = null;
      this.scrapes.inc({ target: target.name, outcome: 'ok' });
      this.up.set({ target: target.name }, 1);
    } catch (error) {
      if (target.up !== false) this.deps.logger.warn({ target: target.name, url: target.baseUrl, err: reason(error) }, 'dashboard scrape failed');
      target.up = false;
      target.error = reason(error);
      this.scrapes.inc({ target: target.name, outcome: 'failed' });
      this.up.set({ target: target.name }, 0);
    }
    target.lastScrapeAt = new Date(at).toISOString();
  }
}

function requiredId(name: string, value: unknown): string {
  const parsed = id.safeParse(value);
  if (typeof value !== 'string' || !parsed.success || parsed.data !== value) {
    throw new HttpProblem(400, DASHBOARD_ERRORS.paramInvalid, `${name} is required: 1 to 256 characters without surrounding spaces`);
  }
  return value;
}

function wholeNumber(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) throw new HttpProblem(400, DASHBOARD_ERRORS.paramInvalid, `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return parsed;
}

function numbers(metrics: Record<string, unknown> | undefined): Record<string, number> | null {
  if (!metrics) return null;
  const kept = Object.entries(metrics).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]));
  return kept.length > 0 ? Object.fromEntries(kept) : null;
}

function curveOf(value: unknown): CurvePoint[] | null {
  const parsed = z.array(curvePoint).safeParse(value);
  return parsed.success && parsed.data.length > 0 ? parsed.data : null;
}

function sourceError(error: unknown, target: string): SourceError {
  if (error instanceof HttpProblem) return { code: error.code, message: error.message, target };
  return { code: DASHBOARD_ERRORS.targetUnavailable, message: reason(error), target };
}

function reason(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' ? `no answer within ${CALL_TIMEOUT_MS} ms` : error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return String(error);
}
