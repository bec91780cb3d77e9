import { EventType, exampleEvent, parseEvent, type EventTypeName, type ExampleEventOverrides } from '@storeloop/contracts';
import { parseEnv } from '@storeloop/observability';
import {
  citedServedRecords,
  modelRefKey,
  onlineMetricsSettingsSchema,
  planFeedbackBatch,
  servedRecordId,
  type FeedbackEvent,
  type FeedbackPlan,
  type FeedbackRecord,
  type ServedRecord,
} from './online-metrics';

type FeedbackType = typeof EventType.RecommendationServed | typeof EventType.RecommendationClicked | typeof EventType.RecommendationPurchased;

function feedback<T extends FeedbackType & EventTypeName>(type: T, id: string, overrides: ExampleEventOverrides<T> = {}): FeedbackEvent {
  const parsed = parseEvent(exampleEvent(type, { id, ...overrides }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event as FeedbackEvent;
}

const at = (offset: number, event: FeedbackEvent): FeedbackRecord => ({ offset: String(offset), event });

const served = (id: string, recommendationId: string, modelVersion: string, skus: string[], userId = 'user-1') =>
  feedback(EventType.RecommendationServed, id, {
    data: { userId, recommendationId, modelName: 'ranker', modelVersion, items: skus.map((sku, i) => ({ sku, position: i + 1, score: 1 - i / 10 })) },
  });
const click = (id: string, recommendationId: string, sku: string, userId = 'user-1') =>
  feedback(EventType.RecommendationClicked, id, { data: { userId, recommendationId, sku, position: 1 } });
const purchase = (id: string, recommendationId: string, sku: string, userId = 'user-1') =>
  feedback(EventType.RecommendationPurchased, id, { data: { userId, recommendationId, sku } });

const v = (version: string) => modelRefKey({ modelName: 'ranker', version });

/** The plan's counters as plain numbers per version, for exact comparison. */
function counters(plan: FeedbackPlan) {
  return Object.fromEntries(
    [...plan.models].map(([key, m]) => [key, { impressions: m.impressions, itemsShown: m.itemsShown, clicks: m.clicks, purchases: m.purchases, users: m.users.size }]),
  );
}

const noState = { storedOffset: null, served: new Map<string, ServedRecord>() };

describe('planFeedbackBatch', () => {
  it('counts lists, items and users per version, and credits clicks and purchases to the version that served the list', () => {
    const plan = planFeedbackBatch({
      ...noState,
      records: [
        at(0, served('e0', 'rec-a', 'v1', ['A', 'B', 'C'])),
        at(1, served('e1', 'rec-b', 'v2', ['A'], 'user-2')),
        at(2, click('e2', 'rec-a', 'B')),
        at(3, click('e3', 'rec-a', 'C')),
        at(4, purchase('e4', 'rec-b', 'A', 'user-2')),
        at(5, served('e5', 'rec-c', 'v1', ['D'], 'user-2')),
      ],
    });
    expect(counters(plan)).toEqual({
      [v('v1')]: { impressions: 2, itemsShown: 4, clicks: 2, purchases: 0, users: 2 },
      [v('v2')]: { impressions: 1, itemsShown: 1, clicks: 0, purchases: 1, users: 1 },
    });
    expect(plan.nextOffset).toBe('6');
    expect(plan.outcomes).toEqual({ counted: 6, replayed: 0, duplicates: 0, unattributed: 0 });
    expect(plan.writes.get(servedRecordId('default', 'rec-a'))).toEqual({ model: { modelName: 'ranker', version: 'v1' }, marks: ['c|B', 'c|C'] });
  });

  it('applies records in offset order, so a click delivered first still finds the list served before it', () => {
    const plan = planFeedbackBatch({ ...noState, records: [at(11, click('e11', 'rec-a', 'A')), at(10, served('e10', 'rec-a', 'v1', ['A']))] });
    expect(counters(plan)[v('v1')]).toMatchObject({ impressions: 1, clicks: 1 });
    expect(plan.unattributed).toEqual({ clicks: 0, purchases: 0 });
  });

  it('credits a list served in an earlier batch, known from Redis, and marks it', () => {
    const stored: ServedRecord = { model: { modelName: null, version: 'v0' }, clicked: new Set(), purchased: new Set() };
    const plan = planFeedbackBatch({
      storedOffset: '40',
      served: new Map([[servedRecordId('default', 'rec-old'), stored]]),
      records: [at(40, click('e40', 'rec-old', 'A')), at(41, purchase('e41', 'rec-old', 'A'))],
    });
    expect(counters(plan)).toEqual({ [modelRefKey({ modelName: null, version: 'v0' })]: { impressions: 0, itemsShown: 0, clicks: 1, purchases: 1, users: 0 } });
    expect(plan.writes.get(servedRecordId('default', 'rec-old'))).toEqual({ marks: ['c|A', 'p|A'] });
  });

  it('counts clicks and purchases citing an unknown recommendation as unattributed, crediting no version', () => {
    const plan = planFeedbackBatch({ ...noState, records: [at(0, click('e0', 'rec-nobody', 'A')), at(1, purchase('e1', 'rec-nobody', 'A')), at(2, click('e2', 'rec-x', 'B'))] });
    expect(plan.unattributed).toEqual({ clicks: 2, purchases: 1 });
    expect(plan.models.size).toBe(0);
    expect(plan.writes.size).toBe(0);
    expect(plan.outcomes).toEqual({ counted: 3, replayed: 0, duplicates: 0, unattributed: 3 });
    expect(plan.nextOffset).toBe('3');
  });

  it('keeps tenants apart: the same recommendation id of another tenant is unknown', () => {
    const other = feedback(EventType.RecommendationClicked, 'e1', { tenant: 'acme', data: { userId: 'user-1', recommendationId: 'rec-a', sku: 'A', position: 1 } });
    const plan = planFeedbackBatch({ ...noState, records: [at(0, served('e0', 'rec-a', 'v1', ['A'])), at(1, other)] });
    expect(counters(plan)[v('v1')].clicks).toBe(0);
    expect(plan.unattributed.clicks).toBe(1);
  });

  it('counts a duplicate once: the same offset, the same event id, a list served again, a SKU clicked or bought again from one list', () => {
    const list = served('e0', 'rec-a', 'v1', ['A', 'B']);
    const plan = planFeedbackBatch({
      ...noState,
      records: [
        at(0, list),
        at(0, list),
        at(1, served('e1-resent', 'rec-a', 'v1', ['A', 'B'])),
        at(2, click('e2', 'rec-a', 'A')),
        at(3, click('e2', 'rec-a', 'B')),
        at(4, click('e4', 'rec-a', 'A')),
        at(5, purchase('e5', 'rec-a', 'A')),
        at(6, purchase('e6', 'rec-a', 'A')),
      ],
    });
    expect(counters(plan)[v('v1')]).toEqual({ impressions: 1, itemsShown: 2, clicks: 1, purchases: 1, users: 1 });
    expect(plan.outcomes).toEqual({ counted: 3, replayed: 0, duplicates: 5, unattributed: 0 });
    expect(plan.nextOffset).toBe('7');
  });

  it('does not count again a click already marked on the stored list', () => {
    const stored: ServedRecord = { model: { modelName: 'ranker', version: 'v1' }, clicked: new Set(['A']), purchased: new Set(['A']) };
    const plan = planFeedbackBatch({
      storedOffset: '5',
      served: new Map([[servedRecordId('default', 'rec-a'), stored]]),
      records: [at(5, click('e5', 'rec-a', 'A')), at(6, purchase('e6', 'rec-a', 'A')), at(7, purchase('e7', 'rec-a', 'B'))],
    });
    expect(counters(plan)[v('v1')]).toMatchObject({ clicks: 0, purchases: 1 });
    expect(plan.outcomes.duplicates).toBe(2);
  });

  it('skips records before the stored offset (a replay) and plans nothing when the whole batch was counted', () => {
    const records = [at(7, served('e7', 'rec-a', 'v1', ['A'])), at(8, click('e8', 'rec-a', 'A')), at(9, served('e9', 'rec-b', 'v1', ['B']))];
    const partly = planFeedbackBatch({ storedOffset: '9', served: new Map(), records });
    expect(partly.outcomes).toEqual({ counted: 1, replayed: 2, duplicates: 0, unattributed: 0 });
    expect(counters(partly)[v('v1')]).toMatchObject({ impressions: 1, clicks: 0 });
    expect(partly.nextOffset).toBe('10');

    const all = planFeedbackBatch({ storedOffset: '10', served: new Map(), records });
    expect(all.nextOffset).toBeNull();
    expect(all.models.size).toBe(0);
    expect(all.outcomes.replayed).toBe(3);
  });

  it('keeps the newest event time per version', () => {
    const plan = planFeedbackBatch({
      ...noState,
      records: [
        at(0, served('e0', 'rec-a', 'v1', ['A'])),
        at(1, feedback(EventType.RecommendationClicked, 'e1', { time: '2024-05-02T00:00:00Z', data: { userId: 'user-1', recommendationId: 'rec-a', sku: 'A', position: 1 } })),
      ],
    });
    expect(plan.models.get(v('v1'))?.newestEventMs).toBe(Date.parse('2024-05-02T00:00:00Z'));
  });

  it('lists the served records a batch cites once each', () => {
    expect(citedServedRecords([at(0, served('e0', 'rec-a', 'v1', ['A'])), at(1, click('e1', 'rec-a', 'A')), at(2, click('e2', 'rec-b', 'A'))])).toEqual([
      servedRecordId('default', 'rec-a'),
      servedRecordId('default', 'rec-b'),
    ]);
  });
});

describe('onlineMetricsSettingsSchema', () => {
  it('defaults to a shared group and a 48 h attribution window', () => {
    expect(parseEnv(onlineMetricsSettingsSchema, {})).toEqual({
      INFERENCE_ONLINE_METRICS_GROUP: 'inference-online-metrics',
      INFERENCE_ONLINE_ATTRIBUTION_TTL_MS: 48 * 3_600_000,
      INFERENCE_ONLINE_METRICS_REFRESH_MS: 5_000,
      INFERENCE_ONLINE_METRICS_MAX_BATCH: 500,
    });
  });

  it.each([
    ['INFERENCE_ONLINE_METRICS_GROUP', 'has{braces}'],
    ['INFERENCE_ONLINE_ATTRIBUTION_TTL_MS', '1000'],
    ['INFERENCE_ONLINE_METRICS_MAX_BATCH', '5000'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => parseEnv(onlineMetricsSettingsSchema, { [name]: value })).toThrow(name);
  });
});
