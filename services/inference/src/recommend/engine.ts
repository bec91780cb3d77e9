import { randomUUID } from 'node:crypto';
import { emptyItemView, emptyUserView, itemFeatureVector, itemKeys, readUserViews, type RedisClient, type UserFeatureView } from '@storeloop/feature-store';
import type { InferenceSettings } from '../config';
import type { CatalogItem, CatalogSnapshot } from '../catalog/item-catalog';
import type { Arm, ModelChoice, ModelRegistry } from '../models/model-registry';
import type { ServingModel } from '../models/serving-model';
import { FeatureStoreGate, FeatureStoreUnavailable, type DegradedReason } from './feature-store-gate';
import { ScorerRows } from './scorer-rows';

export type CandidateSource = 'embedding' | 'co-purchased' | 'co-viewed' | 'popular';

export interface RecommendRequest {
  tenant: string;
  userId: string;
  k: number;
  store?: string;
  category?: string;
  /** Where the list is shown (home, pdp, cart, email...): recorded with the impression. */
  surface: string;
  /** Per-request exclusions, on top of INFERENCE_EXCLUDED_SKUS. */
  exclude?: readonly string[];
}

export interface RecommendedItem {
  sku: string;
  score: number;
  position: number;
  reason: string;
  source: CandidateSource;
}

export interface SimilarRequest {
  tenant: string;
  sku: string;
  k: number;
  store?: string;
  /** The shopper looking, when known: picks their A/B arm and makes the answer an impression. */
  userId?: string;
  surface: string;
  exclude?: readonly string[];
}

export interface PropensityPrediction {
  userId: string;
  known: boolean;
  /** Calibrated probability of a positive outcome on `sku` (the asked one, or the best item the user would be shown). */
  probability: number | null;
  sku: string | null;
  modelVersion: string | null;
}

export interface Recommendation {
  recommendationId: string;
  tenant: string;
  /** Null for a similar-items list asked without a user. */
  userId: string | null;
  surface: string;
  store?: string;
  modelName: string;
  /** `popularity` when no model version served (cold start without a model). */
  modelVersion: string;
  arm: Arm | 'cold-start';
  /** True when the user is unknown or has no history the model can use: the list is popularity. */
  coldStart: boolean;
  /**
   * True when a feature store read was skipped or failed (Redis down or slow):
   * the list comes from what the process holds in memory (popularity,
   * embeddings, neighbours), without the user's history and the rules that
   * need it; with `store`, stock follows INFERENCE_UNKNOWN_STOCK.
   */
  degraded: boolean;
  /** Why, when degraded. */
  degradedReason?: DegradedReason;
  items: RecommendedItem[];
}

/** What went without the feature store while one answer was built. */
export class Degradation {
  reason: DegradedReason | null = null;
  detail: string | null = null;

  mark(error: FeatureStoreUnavailable): void {
    this.reason ??= error.reason;
    this.detail ??= error.message;
  }

  /** The answer's `degraded` fields. */
  fields(): Pick<Recommendation, 'degraded' | 'degradedReason'> {
    return this.reason ? { degraded: true, degradedReason: this.reason } : { degraded: false };
  }
}

/** Runs a feature store read; a FeatureStoreUnavailable marks the answer degraded and yields `fallback()`. */
async function orDegraded<T>(degradation: Degradation, read: () => Promise<T>, fallback: () => T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof FeatureStoreUnavailable)) throw error;
    degradation.mark(error);
    return fallback();
  }
}

interface Candidate {
  item: CatalogItem;
  source: CandidateSource;
  /** Retrieval score (embedding dot product, neighbour weight, popularity). */
  retrieval: number;
  anchor?: string;
  reason: string;
  /** A reason that costs work, computed only if the candidate is answered. */
  explain?: () => string;
}

const ACTIVITY_VERB: Record<string, string> = { view: 'viewed', cart: 'added to your cart', order: 'bought', favorite: 'saved', click: 'clicked', uncart: 'viewed', search: 'viewed', impression: 'saw' };

/** Catalogue entry for a SKU the feature store has no hash for yet (new item): all item features zero. */
function bareItem(tenant: string, sku: string): CatalogItem {
  const view = emptyItemView(tenant, sku, new Date(0).toISOString());
  return { sku, view, features: itemFeatureVector(view), category: null, categoryPrefixes: [], popularity: 0 };
}

export interface EngineDeps {
  settings: InferenceSettings;
  redis: RedisClient;
  registry: ModelRegistry;
  catalog: (tenant: string) => CatalogSnapshot;
  /** Deadline and skip decision of feature store reads (default: one from the settings on `redis`). */
  featureStore?: FeatureStoreGate;
}

/**
 * One answer: read the user (one Redis round trip), retrieve candidates
 * (item embeddings of the serving version, co-purchased and co-viewed
 * neighbours of the last items, popular items), apply the business rules,
 * re-rank the best with the scorer, cap per category, check stock at the
 * store (a second round trip, only with `store`), and number the result.
 */
export class RecommendationEngine {
  private readonly scorerRows = new WeakMap<ServingModel, ScorerRows>();
  readonly featureStore: FeatureStoreGate;

  constructor(private readonly deps: EngineDeps) {
    this.featureStore =
      deps.featureStore ?? new FeatureStoreGate(deps.redis, { deadlineMs: deps.settings.INFERENCE_REDIS_DEADLINE_MS, retryMs: deps.settings.INFERENCE_REDIS_RETRY_MS });
  }

  async recommend(request: RecommendRequest): Promise<Recommendation> {
    const degradation = new Degradation();
    const [user] = await this.usersOrEmpty(request.tenant, [request.userId], degradation);
    return this.answer(request, user, degradation);
  }

  /**
   * The users' views; when the feature store cannot be read in time, empty
   * views (no history, no affinity) and the answer marked degraded: the
   * engine then answers popularity from the catalogue snapshot in memory.
   */
  private usersOrEmpty(tenant: string, userIds: readonly string[], degradation: Degradation): Promise<UserFeatureView[]> {
    return orDegraded(
      degradation,
      () => this.featureStore.read(() => readUserViews(this.deps.redis, userIds, { tenant })),
      () => {
        const asOf = new Date().toISOString();
        return userIds.map((userId) => emptyUserView(tenant, userId, asOf));
      },
    );
  }

  /** Many users with one Redis round trip for all of them (`POST /v1/recommendations:batch`). */
  async recommendMany(requests: readonly RecommendRequest[]): Promise<Recommendation[]> {
    const byTenant = new Map<string, number[]>();
    requests.forEach((request, index) => byTenant.set(request.tenant, [...(byTenant.get(request.tenant) ?? []), index]));
    const users: UserFeatureView[] = new Array(requests.length);
    const degradations = requests.map(() => new Degradation());
    for (const [tenant, indices] of byTenant) {
      const read = new Degradation();
      const views = await this.usersOrEmpty(tenant, indices.map((i) => requests[i].userId), read);
      indices.forEach((i, j) => {
        users[i] = views[j];
        if (read.reason) degradations[i].mark(new FeatureStoreUnavailable(read.detail ?? read.reason));
      });
    }
    return Promise.all(requests.map((request, i) => this.answer(request, users[i], degradations[i])));
  }

  /**
   * Items like `sku`: its nearest neighbours in the serving version's item
   * embeddings, then items bought and viewed with it, then popular items of
   * its category; null when neither the model nor the feature store knows it.
   */
  async similar(request: SimilarRequest): Promise<Recommendation | null> {
    const { settings } = this.deps;
    const catalog = this.deps.catalog(request.tenant);
    const champion = this.deps.registry.champion;
    const choice = request.userId ? this.deps.registry.choose(request.tenant, request.userId) : champion ? { model: champion, arm: 'champion' as const } : null;
    const model = choice?.model ?? null;
    const anchor = catalog.items.get(request.sku);
    const embeddings = model?.embeddings?.has(request.sku) ? model.embeddings : null;
    if (!anchor && !embeddings) return null;
    const excluded = new Set<string>([request.sku, ...settings.INFERENCE_EXCLUDED_SKUS, ...(request.exclude ?? [])]);
    const degradation = new Degradation();
    if (request.userId && settings.INFERENCE_EXCLUDE_PURCHASED) {
      // A shopper who is known: what they bought is not suggested back (one more Redis round trip; skipped, degraded, when Redis is away).
      const [user] = await this.usersOrEmpty(request.tenant, [request.userId], degradation);
      for (const recent of user.recentItems) if (recent.activity === 'order') excluded.add(recent.sku);
    }
    const eligible = (sku: string) => !excluded.has(sku) && !(settings.INFERENCE_EXCLUDE_INACTIVE && catalog.items.get(sku)?.view.active === false);
    const candidates = new Map<string, Candidate>();
    const add = (candidate: Candidate) => {
      if (!candidates.has(candidate.item.sku) && eligible(candidate.item.sku)) candidates.set(candidate.item.sku, candidate);
    };
    if (embeddings) {
      const vector = embeddings.vector(request.sku)!;
      for (const hit of embeddings.topK(vector, Math.max(request.k * 3, 30), (index) => !eligible(embeddings.skuAt(index)))) {
        add({ item: catalog.items.get(hit.sku) ?? bareItem(request.tenant, hit.sku), source: 'embedding', retrieval: hit.score, anchor: request.sku, reason: `similar to ${request.sku}` });
      }
    }
    if (anchor) {
      for (const neighbour of anchor.view.coPurchased) add({ item: catalog.items.get(neighbour.sku) ?? bareItem(request.tenant, neighbour.sku), source: 'co-purchased', retrieval: neighbour.weight, anchor: request.sku, reason: `bought together with ${request.sku}` });
      for (const neighbour of anchor.view.coViewed) add({ item: catalog.items.get(neighbour.sku) ?? bareItem(request.tenant, neighbour.sku), source: 'co-viewed', retrieval: neighbour.weight, anchor: request.sku, reason: `viewed together with ${request.sku}` });
      const category = anchor.category;
      for (const item of (category && catalog.popularByCategory.get(category)) || []) {
        if (candidates.size >= request.k * 3) break;
        add({ item, source: 'popular', retrieval: item.popularity, reason: `popular in ${category} this week` });
      }
    }
    const chosen = await this.choose([...candidates.values()], request, degradation);
    return {
      recommendationId: randomUUID(),
      tenant: request.tenant,
      userId: request.userId ?? null,
      surface: request.surface,
      ...(request.store ? { store: request.store } : {}),
      modelName: this.deps.registry.modelName,
      modelVersion: embeddings && model ? model.version : 'popularity',
      arm: embeddings && choice ? choice.arm : 'cold-start',
      coldStart: !embeddings,
      ...degradation.fields(),
      items: chosen.map((candidate, index) => ({ sku: candidate.item.sku, score: round(candidate.retrieval), position: index + 1, reason: candidate.reason, source: candidate.source })),
    };
  }

  /**
   * Purchase propensity per user from the scorer of the version that serves
   * them: the calibrated probability of a positive outcome on `sku`, or, without
   * one, on the best of the items the user would be recommended.
   */
  async propensity(tenant: string, userIds: readonly string[], sku?: string): Promise<PropensityPrediction[]> {
    // No degraded answer: a probability without the user's features would be a guess (FeatureStoreUnavailable → 503).
    const users = await this.featureStore.read(() => readUserViews(this.deps.redis, userIds, { tenant }));
    const catalog = this.deps.catalog(tenant);
    const predictions: PropensityPrediction[] = [];
    for (let i = 0; i < users.length; i += 1) {
      // Other requests get the event loop between users: each may cost a whole answer.
      if (i > 0 && i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      const user = users[i];
      const userId = userIds[i];
      const choice = this.deps.registry.choose(tenant, userId);
      const model = choice?.model.scorer ? choice.model : this.deps.registry.champion?.scorer ? this.deps.registry.champion : null;
      if (!model) {
        predictions.push({ userId, known: user.known, probability: null, sku: null, modelVersion: null });
        continue;
      }
      const skus = sku ? [sku] : (await this.answer({ tenant, userId, k: 5, surface: 'propensity' }, user, new Degradation())).items.map((item) => item.sku);
      if (skus.length === 0) {
        predictions.push({ userId, known: user.known, probability: null, sku: null, modelVersion: model.version });
        continue;
      }
      const probabilities = this.scorePairs(user, model, skus, catalog);
      let best = 0;
      for (let j = 1; j < skus.length; j += 1) if (probabilities[j] > probabilities[best]) best = j;
      predictions.push({ userId, known: user.known, probability: round(probabilities[best]), sku: skus[best], modelVersion: model.version });
    }
    return predictions;
  }

  /** The user's view and the version that serves them (null: none loaded, or unknown user); FeatureStoreUnavailable when Redis cannot be read. */
  async readUser(tenant: string, userId: string): Promise<{ user: UserFeatureView; choice: ModelChoice | null }> {
    const [user] = await this.featureStore.read(() => readUserViews(this.deps.redis, [userId], { tenant }));
    return { user, choice: this.deps.registry.choose(tenant, userId) };
  }

  /** Calibrated scorer probabilities of (user, sku) pairs under the version that serves the user. */
  scorePairs(user: UserFeatureView, model: ServingModel, skus: readonly string[], catalog: CatalogSnapshot): Float64Array {
    if (!model.scorer) return new Float64Array(skus.length).fill(Number.NaN);
    const items = skus.map((sku) => catalog.items.get(sku) ?? bareItem(catalog.tenant, sku));
    return this.rowsFor(model).score(user, items, catalog, (sku) => bareItem(catalog.tenant, sku));
  }

  private rowsFor(model: ServingModel): ScorerRows {
    let rows = this.scorerRows.get(model);
    if (!rows) {
      rows = new ScorerRows(model.scorer!);
      this.scorerRows.set(model, rows);
    }
    return rows;
  }

  private async answer(request: RecommendRequest, user: UserFeatureView, degradation: Degradation): Promise<Recommendation> {
    const { settings } = this.deps;
    const catalog = this.deps.catalog(request.tenant);
    const choice = this.deps.registry.choose(request.tenant, request.userId);
    const model = choice?.model ?? null;

    // The user's last distinct items, newest first, and what they bought among them.
    const history: { sku: string; activity: string }[] = [];
    const seen = new Set<string>();
    const bought = new Set<string>();
    for (const recent of user.recentItems) {
      if (recent.activity === 'order') bought.add(recent.sku);
      if (seen.has(recent.sku) || history.length >= settings.INFERENCE_HISTORY_ITEMS) continue;
      seen.add(recent.sku);
      history.push(recent);
    }

    const excluded = new Set<string>([...settings.INFERENCE_EXCLUDED_SKUS, ...(request.exclude ?? [])]);
    // The items the user just had are not news: a "recently viewed" list is the storefront's, not ours.
    const eligible = (sku: string, item: CatalogItem | undefined): boolean => {
      if (excluded.has(sku) || seen.has(sku)) return false;
      if (settings.INFERENCE_EXCLUDE_PURCHASED && bought.has(sku)) return false;
      if (settings.INFERENCE_EXCLUDE_INACTIVE && item?.view.active === false) return false;
      if (request.category && !item?.categoryPrefixes.includes(request.category)) return false;
      return true;
    };

    const candidates = new Map<string, Candidate>();
    const add = (candidate: Candidate) => {
      if (!candidates.has(candidate.item.sku) && eligible(candidate.item.sku, candidate.item)) candidates.set(candidate.item.sku, candidate);
    };

    // 1. Item embeddings of the serving version: ELSA's score for the history.
    const embeddings = model?.embeddings ?? null;
    const known = embeddings ? history.filter((entry) => embeddings.has(entry.sku)) : [];
    if (embeddings && known.length > 0) {
      const query = embeddings.queryFromHistory(known.map((entry) => entry.sku));
      if (query) {
        const hits = embeddings.topK(query, settings.INFERENCE_CANDIDATES, (index) => {
          const sku = embeddings.skuAt(index);
          return !eligible(sku, catalog.items.get(sku));
        });
        for (const hit of hits) {
          add({
            item: catalog.items.get(hit.sku) ?? bareItem(request.tenant, hit.sku),
            source: 'embedding',
            retrieval: hit.score,
            reason: 'similar to what you viewed',
            // Worked out for the k items answered only: the history item nearest to this one.
            explain: () => {
              const anchor = this.closestAnchor(model!, hit.sku, known);
              return anchor ? `similar to ${anchor.sku} you ${ACTIVITY_VERB[anchor.activity] ?? 'viewed'}` : 'similar to what you viewed';
            },
          });
        }
      }
    }

    // 2. Neighbours of the last items: bought together, viewed together.
    const perAnchor = settings.INFERENCE_NEIGHBOUR_CANDIDATES;
    if (perAnchor > 0) {
      for (const entry of history.slice(0, 5)) {
        const anchor = catalog.items.get(entry.sku);
        if (!anchor) continue;
        for (const [list, source, reason] of [
          [anchor.view.coPurchased, 'co-purchased', `bought together with ${entry.sku}`],
          [anchor.view.coViewed, 'co-viewed', `viewed together with ${entry.sku}`],
        ] as const) {
          for (const neighbour of list.slice(0, perAnchor)) {
            if (seen.has(neighbour.sku)) continue;
            add({ item: catalog.items.get(neighbour.sku) ?? bareItem(request.tenant, neighbour.sku), source, retrieval: neighbour.weight, anchor: entry.sku, reason });
          }
        }
      }
    }

    // 3. Popular: in the requested category, else in the user's favourite category, else overall.
    const personal = candidates.size > 0;
    const popularCategory = request.category ?? (personal ? undefined : user.categoryAffinity[0]?.path.join(' > '));
    const popularList = (popularCategory && catalog.popularByCategory.get(popularCategory)) || catalog.popular;
    const popularLabel = popularList === catalog.popular ? 'popular this week' : `popular in ${popularCategory} this week`;
    const wanted = personal ? settings.INFERENCE_POPULAR_CANDIDATES : Math.max(settings.INFERENCE_POPULAR_CANDIDATES, request.k * 3);
    let taken = 0;
    for (const item of popularList) {
      if (taken >= wanted) break;
      if (candidates.has(item.sku) || !eligible(item.sku, item)) continue;
      add({ item, source: 'popular', retrieval: item.popularity, reason: popularLabel });
      taken += 1;
    }

    // 4. Order: the scorer re-ranks the first INFERENCE_RERANK_CANDIDATES (retrieval order: embeddings, neighbours, popular).
    let ordered = [...candidates.values()];
    const scores = new Map<string, number>();
    if (personal && model?.scorer && ordered.length > 0) {
      const head = ordered.slice(0, settings.INFERENCE_RERANK_CANDIDATES);
      const probabilities = this.rowsFor(model).score(user, head.map((c) => c.item), catalog, (sku) => bareItem(request.tenant, sku));
      head.forEach((candidate, i) => scores.set(candidate.item.sku, probabilities[i]));
      const rank = head.map((candidate, i) => ({ candidate, p: probabilities[i], i })).sort((a, b) => b.p - a.p || a.i - b.i);
      ordered = [...rank.map((r) => r.candidate), ...ordered.slice(head.length)];
    }

    // 5. Category cap and stock, until k items are chosen.
    const chosen = await this.choose(ordered, request, degradation);
    const coldStart = !personal;
    return {
      recommendationId: randomUUID(),
      tenant: request.tenant,
      userId: request.userId,
      surface: request.surface,
      ...(request.store ? { store: request.store } : {}),
      modelName: this.deps.registry.modelName,
      // A popularity answer is not the model's: it is counted apart, so A/B figures compare the versions alone.
      modelVersion: model && !coldStart ? model.version : 'popularity',
      arm: coldStart || !choice ? 'cold-start' : choice.arm,
      coldStart,
      ...degradation.fields(),
      items: chosen.map((candidate, index) => ({
        sku: candidate.item.sku,
        score: round(scores.get(candidate.item.sku) ?? candidate.retrieval),
        position: index + 1,
        reason: candidate.explain ? candidate.explain() : candidate.reason,
        source: candidate.source,
      })),
    };
  }

  /**
   * Walks the ordered candidates and keeps those in stock at the store (read
   * from Redis in chunks, only with `store`) whose category has room under
   * INFERENCE_MAX_PER_CATEGORY, until k are chosen. The cap counts chosen
   * items only, so an out-of-stock item never takes a category's place.
   * When Redis cannot be read in time every item's stock is unknown
   * (INFERENCE_UNKNOWN_STOCK decides) and the answer is degraded.
   */
  private async choose(ordered: Candidate[], request: { tenant: string; k: number; store?: string }, degradation: Degradation): Promise<Candidate[]> {
    const { INFERENCE_MAX_PER_CATEGORY: cap, INFERENCE_EXCLUDE_OUT_OF_STOCK: stockRule, INFERENCE_UNKNOWN_STOCK: unknownStock } = this.deps.settings;
    const checkStock = Boolean(request.store) && stockRule;
    const perCategory = new Map<string, number>();
    const chosen: Candidate[] = [];
    const chunk = checkStock ? Math.max(request.k * 2, 20) : ordered.length;
    for (let start = 0; start < ordered.length && chosen.length < request.k; start += chunk) {
      const slice = ordered.slice(start, start + chunk);
      const skus = slice.map((c) => c.item.sku);
      const units = checkStock
        ? await orDegraded(
            degradation,
            () => this.featureStore.read(() => this.unitsAt(request.tenant, request.store!, skus)),
            () => skus.map((): number | null => null),
          )
        : null;
      for (let i = 0; i < slice.length && chosen.length < request.k; i += 1) {
        // No stock record at the store: not carried there, unless INFERENCE_UNKNOWN_STOCK=include.
        if (units && !(units[i] === null ? unknownStock === 'include' : units[i]! > 0)) continue;
        const category = slice[i].item.category;
        if (cap > 0 && category) {
          const n = perCategory.get(category) ?? 0;
          if (n >= cap) continue;
          perCategory.set(category, n + 1);
        }
        chosen.push(slice[i]);
      }
    }
    return chosen;
  }

  /** Units on hand at `store` per SKU, one pipeline; null when the store has no record of the SKU. */
  private async unitsAt(tenant: string, store: string, skus: readonly string[]): Promise<(number | null)[]> {
    const { redis } = this.deps;
    const keys = skus.map((sku) => itemKeys(tenant, sku).availability);
    let values: (string | null)[];
    if ('isCluster' in redis && redis.isCluster) {
      // Each item is its own hash slot: a cluster cannot pipeline them together.
      values = await Promise.all(keys.map((key) => redis.hget(key, store)));
    } else {
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.hget(key, store);
      values = ((await pipeline.exec()) ?? []).map(([error, value]) => {
        if (error) throw error;
        return (value as string | null) ?? null;
      });
    }
    return values.map((value) => (value === null ? null : Number(value)));
  }

  /** The history item whose embedding is closest to the candidate: the "similar to X" of the reason. */
  private closestAnchor(model: ServingModel, sku: string, history: readonly { sku: string; activity: string }[]) {
    const embeddings = model.embeddings!;
    const vector = embeddings.vector(sku);
    if (!vector) return history[0];
    let best = history[0];
    let bestScore = -Infinity;
    for (const entry of history) {
      const score = embeddings.scoreOf(vector, entry.sku);
      if (score !== null && score > bestScore) {
        bestScore = score;
        best = entry;
      }
    }
    return best;
  }
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;
