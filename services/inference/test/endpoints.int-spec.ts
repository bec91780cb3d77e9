import { EventType, TOPICS } from '@storeloop/contracts';
import { userKeys } from '@storeloop/feature-store';
import { waitFor, type RestartableService, type TopicReader } from '@storeloop/testing';
import type { Recommendation } from '../src/recommend/engine';
import type { BuiltVersion } from './support/model-artifact';
import { MODEL_NAME } from './support/model-artifact';
import { SECRETS, ServingWorld, call, type Answer } from './support/serving-fixture';
import { CONFIG_EXCLUDED_SKU, INACTIVE_SKU, LOYAL_PURCHASES, LOYAL_SHOPPER, OUT_OF_STOCK_AT_STORE, OTHER_STORE, STORE, TENANT, type Shopper } from './support/shop';

interface Similar extends Recommendation {
  itemId: string;
}

interface OnlineRow {
  version: string;
  impressions: number;
  clicks: number;
  purchases: number;
}

const CATEGORY_CAP = 4;
/** INFERENCE_HISTORY_ITEMS of the world's processes (serving-fixture). */
const HISTORY_ITEMS = 20;

describe('inference: the HTTP API over a seeded feature store and stored model versions (built service, real Kafka and Redis)', () => {
  const world = new ServingWorld();
  const v1Name = `v1-${world.suffix}`;
  const v2Name = `v2-${world.suffix}`;
  let v1: BuiltVersion;
  let v2: BuiltVersion;
  let main: RestartableService;
  let ab: RestartableService;
  let feedback: TopicReader;
  /** Every list answered to a user, by recommendation id: each must come back as an impression. */
  const answered = new Map<string, Recommendation & { contextSku?: string }>();
  /** Distinct (recommendation, SKU) clicks and purchases reported, per model version. */
  const outcomes = new Map<string, { clicks: Set<string>; purchases: Set<string> }>();

  const shopper = (index: number): Shopper => world.shop.shoppers[index];
  const categoryOf = (sku: string) => world.shop.bySku.get(sku)?.category ?? 'unknown';

  function remember(answer: Recommendation, contextSku?: string): Recommendation {
    if (answer.userId) answered.set(answer.recommendationId, { ...answer, ...(contextSku ? { contextSku } : {}) });
    return answer;
  }

  /** GET recommendations on `service` (default: the main process); a 200 answer is remembered for the impression check. */
  async function recommend(userId: string, query = '', service = main, secret: string = SECRETS.infer): Promise<Answer<Recommendation>> {
    const answer = await call<Recommendation>(service.url, 'GET', `/v1/users/${encodeURIComponent(userId)}/recommendations${query ? `?${query}` : ''}`, { secret });
    if (answer.status === 200) remember(answer.body);
    return answer;
  }

  async function ok(userId: string, query = '', service = main): Promise<Recommendation> {
    const answer = await recommend(userId, query, service);
    expect(answer).toMatchObject({ status: 200 });
    return answer.body;
  }

  const skus = (answer: Recommendation) => answer.items.map((item) => item.sku);
  /**
   * The items of `category` a rule-abiding answer may hold for this shopper:
   * not in their history (the last HISTORY_ITEMS distinct items), not bought,
   * active, not excluded, in stock at `store`.
   */
  const leftByRules = (who: Shopper, category: string, store?: string) =>
    world.shop.items
      .filter((item) => item.category === category)
      .map((item) => item.sku)
      .filter(
        (sku) =>
          !who.history.slice(0, HISTORY_ITEMS).includes(sku) &&
          !who.purchased.includes(sku) &&
          sku !== INACTIVE_SKU &&
          sku !== CONFIG_EXCLUDED_SKU &&
          !(store === STORE && OUT_OF_STOCK_AT_STORE.includes(sku)),
      );

  async function report(service: RestartableService, body: Record<string, unknown>): Promise<Answer<{ accepted: number; via: string; ids: string[] }>> {
    const answer = await call<{ accepted: number; via: string; ids: string[] }>(service.url, 'POST', '/v1/feedback', { secret: SECRETS.infer, body });
    if (answer.status === 202) {
      const items = 'events' in body ? (body.events as Record<string, unknown>[]) : [body];
      for (const item of items) {
        const version = answered.get(item.recommendationId as string)?.modelVersion ?? 'unknown';
        const counts = outcomes.get(version) ?? { clicks: new Set<string>(), purchases: new Set<string>() };
        counts[item.type === 'click' ? 'clicks' : 'purchases'].add(`${item.recommendationId as string}|${item.sku as string}`);
        outcomes.set(version, counts);
      }
    }
    return answer;
  }

  beforeAll(async () => {
    await world.setup();
    v1 = await world.build(v1Name, 1, { createdAt: new Date(Date.now() - 60_000) });
    v2 = await world.build(v2Name, 2, { parentVersion: v1Name });
    await world.storeVersion(v1);
    await world.storeVersion(v2);
    await world.pointChampion(v1Name);
    await world.lifecycle('promoted', v1Name, v1Name);
    feedback = await world.reader(TOPICS.feedback.name);
    main = await world.startInference({ INFERENCE_MAX_PER_CATEGORY: String(CATEGORY_CAP) });
    // A second deployment of the same world: A/B with v2 as challenger, no category cap.
    ab = await world.startInference({ INFERENCE_CHALLENGER: v2Name, INFERENCE_CHALLENGER_SHARE: '0.5', INFERENCE_MAX_PER_CATEGORY: '0' });
  }, 240_000);

  afterAll(async () => {
    if (process.env.KEEP_WORLD) console.info(main?.output().slice(-20_000));
    await world.dispose();
  }, 60_000);

  it('answers a known shopper with k numbered, explained items from the champion', async () => {
    const answer = await ok(shopper(0).userId, 'k=10&context=home');
    expect(answer).toMatchObject({ tenant: TENANT, userId: shopper(0).userId, surface: 'home', modelName: MODEL_NAME, modelVersion: v1Name, arm: 'champion', coldStart: false });
    expect(answer.recommendationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.items.map((item) => item.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(skus(answer)).size).toBe(10);
    for (const item of answer.items) {
      expect(item.reason.trim().length).toBeGreaterThan(0);
      expect(['embedding', 'co-purchased', 'co-viewed', 'popular']).toContain(item.source);
      expect(Number.isFinite(item.score)).toBe(true);
    }
    // The model learnt the shopper's home category: it leads the list.
    expect(answer.items[0].sku[0]).toBe(shopper(0).home);
    // Without k: INFERENCE_DEFAULT_K (10).
    expect((await ok(shopper(1).userId)).items).toHaveLength(10);
  });

  it('leaves out what the shopper just had or bought, inactive items, INFERENCE_EXCLUDED_SKUS and `exclude=`', async () => {
    for (const index of [0, 1, 2, 3, 4, 5]) {
      const { userId, purchased } = shopper(index);
      const answer = await ok(userId, 'k=20');
      expect(answer.items).toHaveLength(20);
      for (const sku of [...purchased, INACTIVE_SKU, CONFIG_EXCLUDED_SKU]) expect(skus(answer)).not.toContain(sku);
      // A whole category asked for (uncapped process): every item of it is a candidate, so the list is exactly what the rules leave.
      for (const category of new Set(purchased.map(categoryOf))) {
        const all = await ok(userId, `k=20&category=${encodeURIComponent(category)}`, ab);
        expect(new Set(skus(all))).toEqual(new Set(leftByRules(shopper(index), category)));
      }
    }
    // Bought a while ago, out of the history since: only INFERENCE_EXCLUDE_PURCHASED keeps them out.
    const loyal = world.shop.shoppers.find((s) => s.userId === LOYAL_SHOPPER)!;
    for (const sku of LOYAL_PURCHASES) {
      expect(loyal.history.slice(0, HISTORY_ITEMS)).not.toContain(sku);
      const category = categoryOf(sku);
      const all = await ok(LOYAL_SHOPPER, `k=20&category=${encodeURIComponent(category)}`, ab);
      expect(skus(all)).not.toContain(sku);
      expect(new Set(skus(all))).toEqual(new Set(leftByRules(loyal, category)));
    }
    const first = await ok(shopper(0).userId, 'k=5');
    const [a, b] = skus(first);
    const without = await ok(shopper(0).userId, `k=5&exclude=${a},${b}`);
    expect(without.items).toHaveLength(5);
    expect(skus(without)).not.toContain(a);
    expect(skus(without)).not.toContain(b);
  });

  it(`keeps at most INFERENCE_MAX_PER_CATEGORY (${CATEGORY_CAP}) items of one category in a list`, async () => {
    for (const index of [0, 1, 2, 9, 10, 11]) {
      const answer = await ok(shopper(index).userId, 'k=20');
      expect(answer.items).toHaveLength(20);
      const perCategory = new Map<string, number>();
      for (const sku of skus(answer)) perCategory.set(categoryOf(sku), (perCategory.get(categoryOf(sku)) ?? 0) + 1);
      expect(Math.max(...perCategory.values())).toBeLessThanOrEqual(CATEGORY_CAP);
    }
  });

  it('filters by a category path or any prefix of it', async () => {
    const home = await ok(shopper(0).userId, `k=5&category=${encodeURIComponent('Garden')}`);
    expect(home.items).toHaveLength(5);
    expect(skus(home).every((sku) => sku.startsWith('G'))).toBe(true);
    const leaf = await ok(shopper(0).userId, `k=4&category=${encodeURIComponent('Garden > Plants')}`);
    expect(leaf.items).toHaveLength(4);
    expect(skus(leaf).every((sku) => categoryOf(sku) === 'Garden > Plants')).toBe(true);
  });

  it('answers an unknown user with the most popular active items (cold start)', async () => {
    const answer = await ok('newcomer-1', 'k=7');
    expect(answer).toMatchObject({ userId: 'newcomer-1', coldStart: true, arm: 'cold-start', modelVersion: 'popularity' });
    expect(answer.items.every((item) => item.source === 'popular' && item.reason.length > 0)).toBe(true);
    const scores = answer.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    // The bestsellers (03, 05, 07 of every category) less the inactive H05 and the configured G07.
    expect(new Set(skus(answer))).toEqual(new Set(['H03', 'G03', 'S03', 'H07', 'G05', 'S05', 'S07']));
  });

  it('leaves out items with no units at the requested store, read at answer time', async () => {
    const anywhere = await ok('newcomer-2', 'k=10');
    for (const sku of OUT_OF_STOCK_AT_STORE) expect(skus(anywhere)).toContain(sku);
    const atStore = await ok('newcomer-2', `k=10&store=${STORE}`);
    expect(atStore.items).toHaveLength(10);
    expect(atStore.store).toBe(STORE);
    for (const sku of OUT_OF_STOCK_AT_STORE) expect(skus(atStore)).not.toContain(sku);
    const elsewhere = await ok('newcomer-2', `k=10&store=${OTHER_STORE}`);
    for (const sku of OUT_OF_STOCK_AT_STORE) expect(skus(elsewhere)).toContain(sku);
    // Shoppers 3-5 did not buy their category's 03 item: only the store rule keeps it out.
    for (const index of [3, 4, 5]) {
      const who = shopper(index);
      const known = await ok(who.userId, `k=20&store=${STORE}`);
      expect(known.items).toHaveLength(20);
      for (const sku of OUT_OF_STOCK_AT_STORE) expect(skus(known)).not.toContain(sku);
      expect(who.purchased).not.toContain(`${who.home}03`);
      const category = world.shop.bySku.get(`${who.home}03`)!.category;
      const inStock = await ok(who.userId, `k=20&store=${STORE}&category=${encodeURIComponent(category)}`, ab);
      expect(new Set(skus(inStock))).toEqual(new Set(leftByRules(who, category, STORE)));
      const anyStock = await ok(who.userId, `k=20&category=${encodeURIComponent(category)}`, ab);
      expect(new Set(skus(anyStock))).toEqual(new Set(leftByRules(who, category)));
    }
    // A store with no stock record of any item carries none of them.
    expect((await ok(shopper(0).userId, 'k=5&store=no-such-store')).items).toEqual([]);
  });

  it('refuses malformed parameters and missing or insufficient keys with stable codes', async () => {
    const user = shopper(0).userId;
    for (const query of ['k=0', 'k=abc', 'k=101', 'k=-1', 'k=2.5', 'context=bad%20context!', `category=${encodeURIComponent(' Garden')}`, 'exclude=%20H01']) {
      expect({ query, ...(await recommend(user, query)) }).toMatchObject({ query, status: 400, body: { code: 'INFERENCE.PARAM_INVALID' } });
    }
    expect(await recommend(user, 'tenant=nope')).toMatchObject({ status: 400, body: { code: 'INFERENCE.TENANT_UNKNOWN' } });
    expect(await recommend(` ${user}`)).toMatchObject({ status: 400, body: { code: 'INFERENCE.PARAM_INVALID' } });
    expect(await recommend(`${user} `)).toMatchObject({ status: 400, body: { code: 'INFERENCE.PARAM_INVALID' } });

    expect(await call(main.url, 'GET', `/v1/users/${user}/recommendations`)).toMatchObject({ status: 401, body: { code: 'AUTH.API_KEY_MISSING' } });
    expect(await recommend(user, '', main, 'not-a-key')).toMatchObject({ status: 401, body: { code: 'AUTH.API_KEY_UNKNOWN' } });
    expect(await recommend(user, '', main, SECRETS.ingest)).toMatchObject({ status: 403, body: { code: 'AUTH.SCOPE_MISSING' } });
    expect(await recommend(user, '', main, SECRETS.admin)).toMatchObject({ status: 403, body: { code: 'AUTH.SCOPE_MISSING' } });
    expect(await call(main.url, 'GET', '/v1/admin/models', { secret: SECRETS.infer })).toMatchObject({ status: 403, body: { code: 'AUTH.SCOPE_MISSING' } });
    expect(await call(main.url, 'POST', '/v1/propensity', { secret: SECRETS.ingest, body: { users: [user] } })).toMatchObject({ status: 403 });
    expect(await call(main.url, 'POST', '/v1/feedback', { body: {} })).toMatchObject({ status: 401 });
  });

  it('answers similar items from the item embeddings, without the item itself, and 404 for an unknown item', async () => {
    const answer = await call<Similar>(main.url, 'GET', '/v1/items/H12/similar?k=5', { secret: SECRETS.infer });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ itemId: 'H12', userId: null, modelVersion: v1Name, coldStart: false });
    expect(answer.body.items).toHaveLength(5);
    expect(answer.body.items.map((item) => item.position)).toEqual([1, 2, 3, 4, 5]);
    const similar = skus(answer.body);
    expect(similar).not.toContain('H12');
    expect(similar).not.toContain(INACTIVE_SKU);
    // Shoppers only browse their home category, so its items are what the embeddings hold close.
    expect(similar.filter((sku) => sku.startsWith('H')).length).toBeGreaterThanOrEqual(4);

    // Shown to a user it is an impression, with the item as its context.
    const shown = await call<Similar>(main.url, 'GET', `/v1/items/H12/similar?k=3&userId=${shopper(1).userId}&context=pdp`, { secret: SECRETS.infer });
    expect(shown.body).toMatchObject({ userId: shopper(1).userId, surface: 'pdp', arm: 'champion' });
    remember(shown.body, 'H12');

    expect(await call(main.url, 'GET', '/v1/items/NO-SUCH-ITEM/similar', { secret: SECRETS.infer })).toMatchObject({ status: 404, body: { code: 'INFERENCE.ITEM_UNKNOWN' } });
    expect(await call(main.url, 'GET', '/v1/items/H12/similar?k=0', { secret: SECRETS.infer })).toMatchObject({ status: 400, body: { code: 'INFERENCE.PARAM_INVALID' } });
  });

  it('answers a batch in request order, and refuses one over INFERENCE_BATCH_MAX_USERS', async () => {
    const answer = await call<{ results: Recommendation[] }>(main.url, 'POST', '/v1/recommendations:batch', {
      secret: SECRETS.infer,
      body: { context: 'email', requests: [{ userId: shopper(3).userId, k: 3 }, { userId: 'newcomer-3', k: 2, store: STORE }] },
    });
    expect(answer.status).toBe(200);
    const [known, unknown] = answer.body.results;
    expect(answer.body.results).toHaveLength(2);
    expect(known).toMatchObject({ userId: shopper(3).userId, surface: 'email', modelVersion: v1Name, coldStart: false });
    expect(known.items).toHaveLength(3);
    expect(unknown).toMatchObject({ userId: 'newcomer-3', surface: 'email', coldStart: true, store: STORE });
    expect(unknown.items).toHaveLength(2);
    for (const sku of OUT_OF_STOCK_AT_STORE) expect(skus(unknown)).not.toContain(sku);
    answer.body.results.forEach((result) => remember(result));

    const tooMany = Array.from({ length: 101 }, (_, i) => ({ userId: `batch-user-${i}` }));
    expect(await call(main.url, 'POST', '/v1/recommendations:batch', { secret: SECRETS.infer, body: { requests: tooMany } })).toMatchObject({
      status: 400,
      body: { code: 'INFERENCE.BODY_INVALID' },
    });
    for (const body of [{}, { requests: [] }, { requests: [{ userId: '' }] }, { requests: [{ userId: 'x', k: 'ten' }] }]) {
      expect(await call(main.url, 'POST', '/v1/recommendations:batch', { secret: SECRETS.infer, body })).toMatchObject({ status: 400, body: { code: 'INFERENCE.BODY_INVALID' } });
    }
  });

  it("scores purchase propensity with the serving version's scorer", async () => {
    type Predictions = { modelName: string; predictions: { userId: string; known: boolean; probability: number | null; sku: string | null; modelVersion: string | null }[] };
    const users = [shopper(0).userId, shopper(1).userId, 'newcomer-4'];
    const best = await call<Predictions>(main.url, 'POST', '/v1/propensity', { secret: SECRETS.infer, body: { users } });
    expect(best.status).toBe(200);
    expect(best.body.modelName).toBe(MODEL_NAME);
    expect(best.body.predictions.map((p) => [p.userId, p.known, p.modelVersion])).toEqual([
      [users[0], true, v1Name],
      [users[1], true, v1Name],
      [users[2], false, v1Name],
    ]);
    for (const prediction of best.body.predictions) {
      expect(prediction.probability).toBeGreaterThanOrEqual(0);
      expect(prediction.probability).toBeLessThanOrEqual(1);
      expect(typeof prediction.sku).toBe('string');
    }

    // Shopper 0 browses Home: the scorer, trained on the home-category concept, prefers an unseen Home item to a Sports one.
    const score = async (sku: string) => {
      const answer = await call<Predictions>(main.url, 'POST', '/v1/propensity', { secret: SECRETS.infer, body: { users: [users[0]], sku } });
      expect(answer.status).toBe(200);
      expect(answer.body.predictions[0].sku).toBe(sku);
      return answer.body.predictions[0].probability!;
    };
    const [homeItem, otherItem] = [await score('H15'), await score('S15')];
    expect(homeItem).toBeGreaterThanOrEqual(0);
    expect(otherItem).toBeLessThanOrEqual(1);
    expect(homeItem).toBeGreaterThan(otherItem);

    for (const body of [{}, { users: [] }, { users: 'shopper-00' }, { users: ['x'], sku: '' }, { users: [1] }]) {
      expect(await call(main.url, 'POST', '/v1/propensity', { secret: SECRETS.infer, body })).toMatchObject({ status: 400, body: { code: 'INFERENCE.BODY_INVALID' } });
    }
  });

  it('returns the segment the training service wrote on a user, with its profile from that version', async () => {
    const [first] = v1.assignments;
    await world.redis.hset(userKeys(TENANT, first.userId).main, 'segment', `${v1Name}/${first.segment}`);
    const answer = await call(main.url, 'GET', `/v1/users/${first.userId}/segment`, { secret: SECRETS.infer });
    expect(answer).toMatchObject({ status: 200, body: { userId: first.userId, tenant: TENANT, known: true } });
    const profile = JSON.parse(JSON.stringify(v1.profiles.find((p) => p.segment === first.segment)));
    expect(answer.body.segment).toEqual({ id: `${v1Name}/${first.segment}`, version: v1Name, index: first.segment, profile });

    // A segment computed by a version that does not serve: its profile is read from the store.
    const other = v2.assignments.find((a) => a.userId !== first.userId)!;
    await world.redis.hset(userKeys(TENANT, other.userId).main, 'segment', `${v2Name}/${other.segment}`);
    const fromStore = await call(main.url, 'GET', `/v1/users/${other.userId}/segment`, { secret: SECRETS.infer });
    expect(fromStore.body.segment).toEqual({ id: `${v2Name}/${other.segment}`, version: v2Name, index: other.segment, profile: JSON.parse(JSON.stringify(v2.profiles.find((p) => p.segment === other.segment))) });

    const unsegmented = world.shop.shoppers.find((s) => s.userId !== first.userId && s.userId !== other.userId)!;
    expect(await call(main.url, 'GET', `/v1/users/${unsegmented.userId}/segment`, { secret: SECRETS.infer })).toMatchObject({ status: 200, body: { known: true, segment: null } });
    expect(await call(main.url, 'GET', '/v1/users/newcomer-5/segment', { secret: SECRETS.infer })).toMatchObject({ status: 200, body: { known: false, segment: null } });
    expect(await call(main.url, 'GET', '/v1/users/newcomer-5/segment?tenant=nope', { secret: SECRETS.infer })).toMatchObject({ status: 400, body: { code: 'INFERENCE.TENANT_UNKNOWN' } });
  });

  it('writes reported clicks and purchases to retail.feedback.v1 as contract events, and refuses invalid ones', async () => {
    const list = await ok(shopper(6).userId, 'k=4&context=home');
    const [clicked, bought] = list.items;
    const base = { userId: shopper(6).userId, recommendationId: list.recommendationId, channel: 'web' };
    const click = await report(main, { type: 'click', ...base, sku: clicked.sku, position: clicked.position });
    expect(click).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(['kafka', 'spooled']).toContain(click.body.via);
    const purchase = await report(main, { type: 'purchase', ...base, sku: bought.sku, position: bought.position, quantity: 2, orderId: 'order-it-1', store: STORE });
    expect(purchase).toMatchObject({ status: 202, body: { accepted: 1 } });
    const both = await report(main, {
      events: [
        { type: 'click', ...base, id: `click-${world.suffix}`, sku: bought.sku, position: bought.position },
        { type: 'purchase', ...base, id: `purchase-${world.suffix}`, sku: clicked.sku },
      ],
    });
    expect(both).toMatchObject({ status: 202, body: { accepted: 2, ids: [`click-${world.suffix}`, `purchase-${world.suffix}`] } });

    for (const body of [
      {},
      { type: 'click', ...base, sku: clicked.sku },
      { type: 'like', ...base, sku: clicked.sku, position: 1 },
      { type: 'click', userId: base.userId, sku: clicked.sku, position: 1 },
      { type: 'purchase', ...base, sku: clicked.sku, quantity: 0 },
      { events: [] },
      // A misspelt field is refused, not dropped.
      { type: 'click', ...base, sku: clicked.sku, position: 1, recomendationId: 'typo' },
    ]) {
      expect(await report(main, body)).toMatchObject({ status: 400, body: { code: 'INFERENCE.BODY_INVALID' } });
    }

    // The event's tenant is honoured (and checked), not dropped in favour of the default.
    expect(await report(main, { type: 'click', ...base, sku: clicked.sku, position: 1, tenant: 'nope' })).toMatchObject({ status: 400, body: { code: 'INFERENCE.TENANT_UNKNOWN' } });

    const ids = [...click.body.ids, ...purchase.body.ids, ...both.body.ids];
    const records = await waitFor(
      () => {
        const found = feedback.messages.filter(({ message }) => ids.includes(JSON.parse(String(message.value)).id));
        // At least once: a resend is the same event again, so count distinct ids.
        return new Set(found.map(({ message }) => JSON.parse(String(message.value)).id)).size === ids.length ? found : undefined;
      },
      { timeoutMs: 30_000, description: `feedback events ${ids.join(', ')} on ${world.physical(TOPICS.feedback.name)}` },
    );
    const events = records.map(({ message }) => {
      const parsed = TOPICS.feedback.schema.safeParse(JSON.parse(String(message.value)));
      expect(parsed.success).toBe(true);
      expect(String(message.key)).toBe(base.userId);
      return parsed.data!;
    });
    const byId = new Map(events.map((event) => [event.id, event]));
    expect(byId.get(ids[0])).toMatchObject({ type: EventType.RecommendationClicked, tenant: TENANT, data: { ...base, sku: clicked.sku, position: clicked.position } });
    expect(byId.get(ids[1])).toMatchObject({ type: EventType.RecommendationPurchased, data: { ...base, sku: bought.sku, quantity: 2, orderId: 'order-it-1', store: STORE } });
    expect(byId.get(`click-${world.suffix}`)).toMatchObject({ type: EventType.RecommendationClicked, data: { sku: bought.sku } });
    expect(byId.get(`purchase-${world.suffix}`)).toMatchObject({ type: EventType.RecommendationPurchased, data: { sku: clicked.sku, quantity: 1 } });
  });

  it('splits users between champion and challenger by a stable hash, and counts online outcomes per version', async () => {
    const status = await call(ab.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin });
    expect(status).toMatchObject({ status: 200, body: { modelName: MODEL_NAME, champion: { version: v1Name }, challenger: { version: v2Name }, challengerShare: 0.5 } });
    expect(await call(main.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin })).toMatchObject({ status: 200, body: { champion: { version: v1Name }, challenger: null } });

    type Predictions = { predictions: { userId: string; modelVersion: string }[] };
    const visitors = Array.from({ length: 200 }, (_, i) => `visitor-${String(i).padStart(3, '0')}`);
    const split = async () => {
      const versions = new Map<string, string | null>();
      // INFERENCE_PROPENSITY_MAX_USERS (100) per request.
      for (let start = 0; start < visitors.length; start += 100) {
        const answer = await call<Predictions>(ab.url, 'POST', '/v1/propensity', { secret: SECRETS.infer, body: { users: visitors.slice(start, start + 100) } });
        expect(answer.status).toBe(200);
        for (const p of answer.body.predictions) versions.set(p.userId, p.modelVersion);
      }
      return versions;
    };
    const first = await split();
    expect(await split()).toEqual(first);
    const onChallenger = visitors.filter((v) => first.get(v) === v2Name).length;
    expect(visitors.filter((v) => first.get(v) === v1Name).length + onChallenger).toBe(200);
    expect(onChallenger).toBeGreaterThanOrEqual(60);
    expect(onChallenger).toBeLessThanOrEqual(140);

    // Lists shown to the same users carry the version of their arm, every time.
    for (const visitor of visitors.slice(0, 30)) {
      const version = first.get(visitor);
      for (let round = 0; round < 2; round += 1) {
        const shown = await call<Similar>(ab.url, 'GET', `/v1/items/G12/similar?k=3&userId=${visitor}`, { secret: SECRETS.infer });
        expect(shown.body).toMatchObject({ modelVersion: version, arm: version === v2Name ? 'challenger' : 'champion' });
        remember(shown.body, 'G12');
      }
    }
    const versionsOfShoppers = new Set<string>();
    let uncappedOverCap = false;
    for (const { userId } of world.shop.shoppers) {
      const answer = await ok(userId, 'k=20', ab);
      expect(answer.modelVersion).toBe(answer.arm === 'challenger' ? v2Name : v1Name);
      expect(await ok(userId, 'k=20', ab)).toMatchObject({ modelVersion: answer.modelVersion, arm: answer.arm });
      versionsOfShoppers.add(answer.modelVersion);
      const perCategory = new Map<string, number>();
      for (const sku of skus(answer)) perCategory.set(categoryOf(sku), (perCategory.get(categoryOf(sku)) ?? 0) + 1);
      if (Math.max(...perCategory.values()) > CATEGORY_CAP) uncappedOverCap = true;
    }
    expect(versionsOfShoppers).toEqual(new Set([v1Name, v2Name]));
    // Without INFERENCE_MAX_PER_CATEGORY lists do exceed the main process's cap: the cap test above was binding.
    expect(uncappedOverCap).toBe(true);

    // One click on a list of each version, through the A/B process.
    for (const version of [v1Name, v2Name]) {
      const list = [...answered.values()].find((a) => a.modelVersion === version && a.items.length > 0 && !outcomes.get(version)?.clicks.has(`${a.recommendationId}|${a.items[0].sku}`))!;
      expect(await report(ab, { type: 'click', userId: list.userId, recommendationId: list.recommendationId, sku: list.items[0].sku, position: 1 })).toMatchObject({ status: 202 });
    }

    // The online metrics consumer (one group for both processes) counts every list and outcome once, per version.
    const expected = (version: string) => ({
      version,
      impressions: [...answered.values()].filter((a) => a.modelVersion === version).length,
      clicks: outcomes.get(version)?.clicks.size ?? 0,
      purchases: outcomes.get(version)?.purchases.size ?? 0,
    });
    const want = [expected(v1Name), expected(v2Name)];
    expect(want.every((w) => w.impressions > 0 && w.clicks > 0)).toBe(true);
    await waitFor(
      async () => {
        const { body } = await call<{ online: OnlineRow[] }>(ab.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin });
        const got = want.map(({ version }) => {
          const row = body.online.find((r) => r.version === version);
          return row && { version, impressions: row.impressions, clicks: row.clicks, purchases: row.purchases };
        });
        return JSON.stringify(got) === JSON.stringify(want) ? got : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: `online metrics ${JSON.stringify(want)}` },
    );
  });

  it('logs every answered list as a recommendation.served impression with the same id, items, positions and version', async () => {
    const served = await waitFor(
      () => {
        const impressions = feedback.messages
          .map(({ message }) => ({ key: String(message.key), event: JSON.parse(String(message.value)) as { id: string; type: string } }))
          .filter(({ event }) => event.type === EventType.RecommendationServed);
        return [...answered.keys()].every((id) => impressions.some(({ event }) => event.id === id)) ? impressions : undefined;
      },
      { timeoutMs: 30_000, description: `${answered.size} impressions on ${world.physical(TOPICS.feedback.name)}` },
    );
    // Exactly the answered lists (a resend would repeat one, never add another): refused requests and user-less similar-item lists are not impressions.
    expect(new Set(served.map(({ event }) => event.id))).toEqual(new Set(answered.keys()));
    for (const { key, event } of served) {
      const parsed = TOPICS.feedback.schema.safeParse(event);
      expect(parsed.success).toBe(true);
      const answer = answered.get(event.id)!;
      expect(key).toBe(answer.userId);
      expect(event).toMatchObject({
        type: EventType.RecommendationServed,
        tenant: TENANT,
        data: {
          userId: answer.userId,
          recommendationId: answer.recommendationId,
          modelName: MODEL_NAME,
          modelVersion: answer.modelVersion,
          surface: answer.surface,
          ...(answer.store ? { store: answer.store } : {}),
          ...(answer.contextSku ? { contextSku: answer.contextSku } : {}),
          items: answer.items.map(({ sku, position, score }) => ({ sku, position, score })),
        },
      });
    }
  });
});
