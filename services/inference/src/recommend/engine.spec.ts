import { EVENT_TYPES, EventType } from '@storeloop/contracts';
import { emptyItemView, emptyUserView, type ItemFeatureView, type RedisClient, type UserFeatureView } from '@storeloop/feature-store';
import { trainRecommender } from '@storeloop/ml';
import { buildSnapshot } from '../catalog/item-catalog';
import { loadInferenceConfig } from '../config';
import type { ModelRegistry } from '../models/model-registry';
import type { ServingModel } from '../models/serving-model';
import { EmbeddingIndex } from '../serving/embedding-index';
import { RecommendationEngine } from './engine';
import { FeatureStoreUnavailable } from './feature-store-gate';
import { servedEvent } from './served-event';

const users = new Map<string, UserFeatureView>();
/** How the fake feature store answers user reads: normally, never (Redis stopped), or with a connection error. */
const userReads: { mode: 'ok' | 'hang' | 'fail' } = { mode: 'ok' };
jest.mock('@storeloop/feature-store', () => {
  const actual = jest.requireActual('@storeloop/feature-store');
  return {
    ...actual,
    readUserViews: jest.fn(async (_redis: unknown, ids: string[]) => {
      if (userReads.mode === 'hang') return new Promise(() => undefined);
      if (userReads.mode === 'fail') throw new Error('Connection is closed.');
      return ids.map((id) => users.get(id) ?? actual.emptyUserView('default', id, new Date().toISOString()));
    }),
  };
});

const AS_OF = '2026-11-28T12:00:00.000Z';
// Two clusters: a0..a9 are bought together, b0..b9 too; c0..c9 are the popular "Kitchen" items.
const SKUS = [...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)];

function item(sku: string, overrides: Partial<ItemFeatureView> = {}): ItemFeatureView {
  const view = emptyItemView('default', sku, AS_OF);
  const category = sku.startsWith('a') ? ['Garden'] : sku.startsWith('b') ? ['Books'] : ['Kitchen'];
  const views = sku.startsWith('c') ? 100 - Number(sku.slice(1)) : 1;
  return { ...view, known: true, active: true, categoryPath: category, popularity: { ...view.popularity, view: views }, availability: { s1: 5 }, ...overrides };
}

function user(id: string, recent: { sku: string; activity: 'view' | 'order' }[]): UserFeatureView {
  return { ...emptyUserView('default', id, AS_OF), known: true, recentItems: recent.map((r) => ({ ...r, at: AS_OF })) };
}

let cached: ServingModel | undefined;
function model(): ServingModel {
  if (cached) return cached;
  const pairs = [];
  for (let u = 0; u < 60; u += 1) {
    const cluster = u % 2 === 0 ? 'a' : 'b';
    for (let j = 0; j < 5; j += 1) pairs.push({ userId: `t${u}`, itemId: `${cluster}${(u + j * 3) % 10}` });
  }
  const { metadata, weights } = trainRecommender(pairs, { family: 'elsa', elsa: { factors: 8, epochs: 20, seed: 3 } }).toArtifact();
  const embeddings = EmbeddingIndex.fromRecommenderArtifact(new TextEncoder().encode(JSON.stringify(metadata)), new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  cached = { modelName: 'ranker', version: 'v1', metadata: {} as ServingModel['metadata'], scorer: null, embeddings, segments: null, loadedAt: AS_OF };
  return cached;
}

/** Units per store from a fake Redis pipeline (the stock check at answer time). */
function fakeRedis(stock: Record<string, number | null>, options: { status?: string; stockHangs?: boolean } = {}): RedisClient {
  return {
    status: options.status ?? 'ready',
    pipeline() {
      const keys: string[] = [];
      const chain = {
        hget(key: string) {
          keys.push(key);
          return chain;
        },
        async exec() {
          if (options.stockHangs) return new Promise(() => undefined);
          return keys.map((key) => {
            const sku = /\{i:([^}]+)\}/.exec(key)![1];
            const units = stock[sku];
            return [null, units === undefined ? '5' : units === null ? null : String(units)];
          });
        },
      };
      return chain;
    },
  } as unknown as RedisClient;
}

function engine(
  env: Record<string, string> = {},
  stock: Record<string, number | null> = {},
  overrides: Record<string, Partial<ItemFeatureView>> = {},
  redisOptions: { status?: string; stockHangs?: boolean } = {},
) {
  const serving = model();
  const views = [...SKUS, ...Array.from({ length: 10 }, (_, i) => `c${i}`)].map((sku) => item(sku, overrides[sku]));
  const snapshot = buildSnapshot('default', views, 1);
  const registry = { modelName: 'ranker', champion: serving, challenger: null, choose: () => ({ model: serving, arm: 'champion' }) } as unknown as ModelRegistry;
  return new RecommendationEngine({ settings: loadInferenceConfig(env).inference, redis: fakeRedis(stock, redisOptions), registry, catalog: () => snapshot });
}

describe('RecommendationEngine', () => {
  beforeEach(() => {
    users.clear();
    userReads.mode = 'ok';
  });

  it('recommends from the cluster of the history, with reasons, and leaves out what the user bought', async () => {
    users.set('u1', user('u1', [{ sku: 'a1', activity: 'order' }, { sku: 'a2', activity: 'view' }]));
    const answer = await engine().recommend({ tenant: 'default', userId: 'u1', k: 5, surface: 'home' });
    expect(answer).toMatchObject({ coldStart: false, arm: 'champion', modelVersion: 'v1', userId: 'u1' });
    expect(answer.items.map((i) => i.position)).toEqual([1, 2, 3, 4, 5]);
    expect(answer.items.slice(0, 3).every((i) => i.sku.startsWith('a'))).toBe(true);
    // Neither what they bought nor what they just viewed.
    expect(answer.items.map((i) => i.sku)).not.toContain('a1');
    expect(answer.items.map((i) => i.sku)).not.toContain('a2');
    expect(answer.items[0].reason).toMatch(/^similar to a[12] you (bought|viewed)$/);
  });

  it('applies exclusions, inactive items, the category cap and stock at the store', async () => {
    users.set('u1', user('u1', [{ sku: 'a1', activity: 'view' }]));
    const e = engine({ INFERENCE_EXCLUDED_SKUS: 'a2', INFERENCE_MAX_PER_CATEGORY: '3' }, { a3: 0, a4: null }, { a5: { active: false } });
    const answer = await e.recommend({ tenant: 'default', userId: 'u1', k: 10, surface: 'home', store: 's1', exclude: ['a6'] });
    const skus = answer.items.map((i) => i.sku);
    for (const gone of ['a2', 'a3', 'a4', 'a5', 'a6']) expect(skus).not.toContain(gone);
    expect(skus.filter((sku) => sku.startsWith('a')).length).toBeLessThanOrEqual(3);
    expect(skus.filter((sku) => sku.startsWith('c')).length).toBeLessThanOrEqual(3);
    // A store that does not report stock for an item: left out by default, kept with INFERENCE_UNKNOWN_STOCK=include.
    const lenient = engine({ INFERENCE_UNKNOWN_STOCK: 'include' }, { a3: 0, a4: null });
    const kept = (await lenient.recommend({ tenant: 'default', userId: 'u1', k: 30, surface: 'home', store: 's1' })).items.map((i) => i.sku);
    expect(kept).toContain('a4');
    expect(kept).not.toContain('a3');
  });

  it('counts the category cap on items chosen, so out-of-stock items do not take a category\'s places', async () => {
    users.set('u1', user('u1', [{ sku: 'a1', activity: 'view' }]));
    const all = (await engine().recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home' })).items.map((i) => i.sku);
    expect(all.slice(0, 2).every((sku) => sku.startsWith('a'))).toBe(true);
    // The two best Garden items are out of stock at s1: the cap of 2 still leaves room for two Garden items in stock.
    const capped = engine({ INFERENCE_MAX_PER_CATEGORY: '2' }, { [all[0]]: 0, [all[1]]: 0 });
    const skus = (await capped.recommend({ tenant: 'default', userId: 'u1', k: 6, surface: 'home', store: 's1' })).items.map((i) => i.sku);
    expect(skus).not.toContain(all[0]);
    expect(skus).not.toContain(all[1]);
    expect(skus.filter((sku) => sku.startsWith('a'))).toHaveLength(2);
  });

  it('answers an unknown user with popular items, marked cold start, within a category when asked', async () => {
    const e = engine();
    const answer = await e.recommend({ tenant: 'default', userId: 'nobody', k: 3, surface: 'home' });
    expect(answer).toMatchObject({ coldStart: true, arm: 'cold-start', modelVersion: 'popularity' });
    expect(answer.items.map((i) => i.sku)).toEqual(['c0', 'c1', 'c2']);
    expect(answer.items[0].reason).toBe('popular this week');
    const garden = await e.recommend({ tenant: 'default', userId: 'nobody', k: 3, surface: 'home', category: 'Garden' });
    expect(garden.items.every((i) => i.sku.startsWith('a'))).toBe(true);
    expect(garden.items[0].reason).toBe('popular in Garden this week');
  });

  it('finds similar items without the item itself, and null for an item nobody knows', async () => {
    const e = engine();
    const answer = await e.similar({ tenant: 'default', sku: 'b3', k: 4, surface: 'pdp' });
    expect(answer!.items.map((i) => i.sku)).not.toContain('b3');
    expect(answer!.items.slice(0, 3).every((i) => i.sku.startsWith('b'))).toBe(true);
    expect(await e.similar({ tenant: 'default', sku: 'zz', k: 4, surface: 'pdp' })).toBeNull();
  });

  it('logs an answer as a served event that fits the contract', async () => {
    users.set('u1', user('u1', [{ sku: 'b1', activity: 'view' }]));
    const answer = await engine().recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home', store: 's1' });
    const event = servedEvent(answer, { contextSku: 'b1' });
    const parsed = EVENT_TYPES[EventType.RecommendationServed].schema.safeParse(event);
    expect(parsed.success).toBe(true);
    expect(event).toMatchObject({ id: answer.recommendationId, data: { recommendationId: answer.recommendationId, modelVersion: 'v1', store: 's1', items: answer.items.map(({ sku, position, score }) => ({ sku, position, score })) } });
  });

  it('marks normal answers not degraded', async () => {
    users.set('u1', user('u1', [{ sku: 'a1', activity: 'view' }]));
    const answer = await engine().recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home', store: 's1' });
    expect(answer.degraded).toBe(false);
    expect(answer).not.toHaveProperty('degradedReason');
    expect(servedEvent(answer).data).not.toHaveProperty('degraded');
  });

  describe('without the feature store', () => {
    const fast = { INFERENCE_REDIS_DEADLINE_MS: '20', INFERENCE_REDIS_RETRY_MS: '60000' };

    it('answers popularity from memory, degraded, when Redis is disconnected (no read tried)', async () => {
      users.set('u1', user('u1', [{ sku: 'a1', activity: 'order' }, { sku: 'a2', activity: 'view' }]));
      const e = engine(fast, {}, {}, { status: 'reconnecting' });
      const started = Date.now();
      const answer = await e.recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home' });
      expect(Date.now() - started).toBeLessThan(15);
      expect(answer).toMatchObject({ degraded: true, degradedReason: 'FEATURE_STORE_UNAVAILABLE', coldStart: true, arm: 'cold-start', modelVersion: 'popularity', userId: 'u1' });
      expect(answer.items.map((i) => i.sku)).toEqual(['c0', 'c1', 'c2']);
      // The category filter needs no Redis: it still holds.
      const garden = await e.recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home', category: 'Garden' });
      expect(garden.degraded).toBe(true);
      expect(garden.items.every((i) => i.sku.startsWith('a'))).toBe(true);
    });

    it('abandons a read Redis does not answer within INFERENCE_REDIS_DEADLINE_MS, then skips Redis until INFERENCE_REDIS_RETRY_MS', async () => {
      userReads.mode = 'hang';
      const e = engine(fast);
      let started = Date.now();
      const first = await e.recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home' });
      expect(Date.now() - started).toBeLessThan(500);
      expect(first.degraded).toBe(true);
      started = Date.now();
      const second = await e.recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home' });
      expect(Date.now() - started).toBeLessThan(15);
      expect(second.degraded).toBe(true);
      expect(e.featureStore.skipReason()).toMatch(/no answer from redis within 20 ms/);
    });

    it('answers a batch degraded when the users cannot be read, and similar items degraded only when a read was needed', async () => {
      userReads.mode = 'fail';
      const e = engine(fast);
      const answers = await e.recommendMany([
        { tenant: 'default', userId: 'u1', k: 2, surface: 'batch' },
        { tenant: 'default', userId: 'u2', k: 2, surface: 'batch' },
      ]);
      expect(answers.map((a) => [a.degraded, a.modelVersion])).toEqual([
        [true, 'popularity'],
        [true, 'popularity'],
      ]);
      // No user and no store: similar items come from memory alone and are a normal answer.
      const plain = await e.similar({ tenant: 'default', sku: 'b3', k: 4, surface: 'pdp' });
      expect(plain).toMatchObject({ degraded: false, modelVersion: 'v1' });
      // With a user the purchase filter needs Redis: skipped, the answer is degraded but still the model's neighbours.
      const forUser = await e.similar({ tenant: 'default', sku: 'b3', k: 4, surface: 'pdp', userId: 'u1' });
      expect(forUser).toMatchObject({ degraded: true, degradedReason: 'FEATURE_STORE_UNAVAILABLE', modelVersion: 'v1' });
      expect(forUser!.items.slice(0, 3).every((i) => i.sku.startsWith('b'))).toBe(true);
    });

    it('follows INFERENCE_UNKNOWN_STOCK for stock at a store that cannot be read', async () => {
      users.set('u1', user('u1', [{ sku: 'a1', activity: 'view' }]));
      const strict = await engine(fast, {}, {}, { stockHangs: true }).recommend({ tenant: 'default', userId: 'u1', k: 5, surface: 'home', store: 's1' });
      expect(strict).toMatchObject({ degraded: true, items: [] });
      const lenient = await engine({ ...fast, INFERENCE_UNKNOWN_STOCK: 'include' }, {}, {}, { stockHangs: true }).recommend({ tenant: 'default', userId: 'u1', k: 5, surface: 'home', store: 's1' });
      expect(lenient.degraded).toBe(true);
      expect(lenient.items).toHaveLength(5);
      // The user read answered: the list is still the model's.
      expect(lenient.modelVersion).toBe('v1');
    });

    it('refuses propensity and segments (FeatureStoreUnavailable), which cannot be answered from memory', async () => {
      const e = engine(fast, {}, {}, { status: 'connecting' });
      await expect(e.propensity('default', ['u1'])).rejects.toBeInstanceOf(FeatureStoreUnavailable);
      await expect(e.readUser('default', 'u1')).rejects.toBeInstanceOf(FeatureStoreUnavailable);
    });

    it('logs a degraded list as an impression marked degraded, within the contract', async () => {
      const answer = await engine(fast, {}, {}, { status: 'reconnecting' }).recommend({ tenant: 'default', userId: 'u1', k: 3, surface: 'home' });
      const event = servedEvent(answer);
      expect(event.data).toMatchObject({ degraded: true, modelVersion: 'popularity' });
      const parsed = EVENT_TYPES[EventType.RecommendationServed].schema.safeParse(event);
      expect(parsed.success).toBe(true);
      expect((parsed.data as { data: { degraded?: boolean } }).data.degraded).toBe(true);
    });
  });
});
