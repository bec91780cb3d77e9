import { EVENT_TYPES, EventType } from '@storeloop/contracts';
import { emptyItemView, emptyUserView, type ItemFeatureView, type RedisClient, type UserFeatureView } from '@storeloop/feature-store';
import { trainRecommender } from '@storeloop/ml';
import { buildSnapshot } from '../catalog/item-catalog';
import { loadInferenceConfig } from '../config';
import type { ModelRegistry } from '../models/model-registry';
import type { ServingModel } from '../models/serving-model';
import { EmbeddingIndex } from '../serving/embedding-index';
import { RecommendationEngine } from './engine';
import { servedEvent } from './served-event';

const users = new Map<string, UserFeatureView>();
jest.mock('@storeloop/feature-store', () => {
  const actual = jest.requireActual('@storeloop/feature-store');
  return { ...actual, readUserViews: jest.fn(async (_redis: unknown, ids: string[]) => ids.map((id) => users.get(id) ?? actual.emptyUserView('default', id, new Date().toISOString()))) };
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
function fakeRedis(stock: Record<string, number | null>): RedisClient {
  return {
    pipeline() {
      const keys: string[] = [];
      const chain = {
        hget(key: string) {
          keys.push(key);
          return chain;
        },
        async exec() {
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

function engine(env: Record<string, string> = {}, stock: Record<string, number | null> = {}, overrides: Record<string, Partial<ItemFeatureView>> = {}) {
  const serving = model();
  const views = [...SKUS, ...Array.from({ length: 10 }, (_, i) => `c${i}`)].map((sku) => item(sku, overrides[sku]));
  const snapshot = buildSnapshot('default', views, 1);
  const registry = { modelName: 'ranker', champion: serving, challenger: null, choose: () => ({ model: serving, arm: 'champion' }) } as unknown as ModelRegistry;
  return new RecommendationEngine({ settings: loadInferenceConfig(env).inference, redis: fakeRedis(stock), registry, catalog: () => snapshot });
}

describe('RecommendationEngine', () => {
  beforeEach(() => users.clear());

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
});
