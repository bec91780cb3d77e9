import {
  EventType,
  exampleEvent,
  parseEvent,
  trainingExampleSchema,
  type EventTypeName,
  type ExampleEventOverrides,
  type StoreloopEvent,
} from '@storeloop/contracts';
import { emptyItemView, emptyUserView, itemFeatureVector, userFeatureVector, userItemFeatures, type ItemFeatureView } from '@storeloop/feature-store';
import {
  attribute,
  attributionWindows,
  decodeServedRecord,
  encodeServedRecord,
  SERVED_RECORD_INVALID,
  type AttributionResult,
  type ServedRecord,
} from './attribution';
import { snapshotKey, type FeatureSnapshot } from './feature-snapshot';

const MINUTE = 60_000;
const CLICK = 30 * MINUTE;
const PURCHASE = 24 * 60 * MINUTE;
const GRACE = 5 * MINUTE;
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function event<T extends EventTypeName>(type: T, atMs: number, overrides: ExampleEventOverrides<T> = {}): StoreloopEvent {
  const parsed = parseEvent(exampleEvent(type, { id: `evt-${type.split('.')[3]}-${atMs}`, time: iso(atMs), ...overrides }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}

const served = (recommendationId: string, atMs: number, skus: string[], userId = 'user-1001') =>
  event(EventType.RecommendationServed, atMs, {
    id: `evt-served-${recommendationId}`,
    data: { userId, recommendationId, items: skus.map((sku, i) => ({ sku, position: i + 1, score: 1 - i / 10 })) },
  });

const click = (recommendationId: string, sku: string, atMs: number, userId = 'user-1001') =>
  event(EventType.RecommendationClicked, atMs, { id: `evt-click-${recommendationId}-${sku}-${atMs}`, data: { userId, recommendationId, sku, position: 1 } });

const order = (skus: string[], atMs: number, userId = 'user-1001') =>
  event(EventType.OrderPlaced, atMs, {
    id: `evt-order-${atMs}`,
    data: { userId, items: skus.map((sku) => ({ sku, quantity: 1, unitPrice: { amount: '10.00', currency: 'EUR' } })) },
  });

const shopper = { ...emptyUserView('default', 'user-1001', iso(T0)), known: true, categoryAffinity: [{ path: ['Sports'], weight: 2 }] };
const items: ItemFeatureView[] = ['A', 'B', 'C'].map((sku, i) => ({
  ...emptyItemView('default', sku, iso(T0)),
  known: true,
  categoryPath: ['Sports'],
  totals: { ...emptyItemView('default', sku, iso(T0)).totals, view: 10 * (i + 1) },
}));

const snapshot = (asOfMs = T0): FeatureSnapshot => ({
  asOfMs,
  users: new Map([[snapshotKey('default', 'user-1001'), shopper]]),
  items: new Map(items.map((view) => [snapshotKey('default', view.sku), view])),
});

const copy = (records: Map<string, ServedRecord>) => new Map<string, ServedRecord>(JSON.parse(JSON.stringify([...records])));

/** The records as stored: what the caller keeps between slices. */
class Store {
  records = new Map<string, ServedRecord>();

  /** Runs `attribute` on the stored records and stores the result, like the service does per slice. */
  constructor(private readonly maxOpenPerUser?: number) {}

  run(events: StoreloopEvent[], watermarkMs: number): AttributionResult {
    const result = attribute({ records: this.records, events, watermarkMs, snapshot: snapshot(), maxOpenPerUser: this.maxOpenPerUser });
    for (const example of result.examples) expect(trainingExampleSchema.parse(example)).toEqual(example);
    for (const record of result.upserts) this.records.set(record.recommendationId, decodeServedRecord(encodeServedRecord(record)));
    for (const id of result.deletes) this.records.delete(id);
    return result;
  }
}

const labels = (result: AttributionResult) => result.examples.map(({ kind, sku, label }) => `${kind} ${sku} ${label}`);

describe('attribute', () => {
  it('opens a record per impression with the features as served, and no example yet', () => {
    const store = new Store();
    const result = store.run([served('rec-1', T0, ['A', 'B', 'C'])], T0);
    expect(result.examples).toEqual([]);
    expect(result.deletes).toEqual([]);
    expect(result.upserts).toEqual([
      {
        recommendationId: 'rec-1',
        tenant: 'default',
        userId: 'user-1001',
        servedAt: T0,
        modelName: 'two-tower',
        modelVersion: '2024-05-01.3',
        surface: 'home',
        items: [
          { sku: 'A', position: 1 },
          { sku: 'B', position: 2 },
          { sku: 'C', position: 3 },
        ],
        userFeatures: userFeatureVector(shopper),
        itemFeatures: Object.fromEntries(items.map((view) => [view.sku, itemFeatureVector(view)])),
        crossFeatures: Object.fromEntries(items.map((view) => [view.sku, userItemFeatures(shopper, view)])),
        clicked: [],
        purchased: [],
        clickClosed: false,
      },
    ]);
    expect(result.nextDueMs).toBe(T0 + CLICK + GRACE);
  });

  it('does not keep an impression that served nothing', () => {
    const result = new Store().run([served('rec-empty', T0, []), click('rec-empty', 'A', T0 + MINUTE)], T0 + PURCHASE * 2);
    expect(result).toEqual({ examples: [], upserts: [], deletes: [], nextDueMs: null, evicted: 0 });
  });

  it('keeps a SKU served twice once, at its best position', () => {
    const event = served('rec-1', T0, ['A', 'B', 'A']);
    const [record] = new Store().run([event], T0).upserts;
    expect(record.items).toEqual([
      { sku: 'A', position: 1 },
      { sku: 'B', position: 2 },
    ]);
  });

  describe('clicks', () => {
    it('count up to exactly clickMs after the impression, not 1 ms later', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B', 'C'])], T0);
      expect(labels(store.run([click('rec-1', 'B', T0 + CLICK)], T0 + CLICK))).toEqual(['served-click B 1']);
      expect(labels(store.run([click('rec-1', 'C', T0 + CLICK + 1)], T0 + CLICK + 1))).toEqual([]);
    });

    it('give a positive with the outcome time, the serving features and what was served', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B'])], T0);
      const [example] = store.run([click('rec-1', 'B', T0 + 5 * MINUTE)], T0 + 5 * MINUTE).examples;
      expect(example).toEqual({
        exampleId: 'rec-1:served-click:B',
        userId: 'user-1001',
        sku: 'B',
        label: 1,
        eventTime: iso(T0 + 5 * MINUTE),
        featureTime: iso(T0),
        userFeatures: { ...userFeatureVector(shopper), ...userItemFeatures(shopper, items[1]) },
        itemFeatures: itemFeatureVector(items[1]),
        kind: 'served-click',
        tenant: 'default',
        sourceEventId: `evt-click-rec-1-B-${T0 + 5 * MINUTE}`,
        recommendationId: 'rec-1',
        modelName: 'two-tower',
        modelVersion: '2024-05-01.3',
        position: 2,
        surface: 'home',
      });
      expect(example.userFeatures['x.affinity.itemCategory']).toBe(2);
    });

    it('count once per SKU, in one slice or across slices', () => {
      const store = new Store();
      const first = store.run([served('rec-1', T0, ['A', 'B']), click('rec-1', 'A', T0 + 1), click('rec-1', 'A', T0 + 2)], T0 + 2);
      expect(labels(first)).toEqual(['served-click A 1']);
      expect(labels(store.run([click('rec-1', 'A', T0 + 3)], T0 + 3))).toEqual([]);
      expect(store.records.get('rec-1')?.clicked).toEqual(['A']);
    });

    it.each([
      ['an unknown recommendation', click('rec-unknown', 'A', T0 + MINUTE)],
      ['a SKU that was not served', click('rec-1', 'Z', T0 + MINUTE)],
      ['another user', click('rec-1', 'A', T0 + MINUTE, 'user-2002')],
      ['a time before the impression', click('rec-1', 'A', T0 - 1)],
    ])('give nothing for %s', (_case, outcome) => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B'])], T0);
      const result = store.run([outcome], T0 + MINUTE);
      expect(result.examples).toEqual([]);
      expect(result.upserts).toEqual([]);
    });
  });

  describe('click window close', () => {
    it('waits for the grace, then gives negatives for the SKUs not clicked at the window end', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B', 'C']), click('rec-1', 'B', T0 + MINUTE)], T0 + MINUTE);
      const atGrace = store.run([], T0 + CLICK + GRACE);
      expect(atGrace.examples).toEqual([]);
      const closed = store.run([], T0 + CLICK + GRACE + 1);
      expect(labels(closed)).toEqual(['served-click A 0', 'served-click C 0']);
      expect(closed.examples.map(({ exampleId, eventTime, featureTime, position }) => [exampleId, eventTime, featureTime, position])).toEqual([
        ['rec-1:served-click:A', iso(T0 + CLICK), iso(T0), 1],
        ['rec-1:served-click:C', iso(T0 + CLICK), iso(T0), 3],
      ]);
      expect(closed.examples.every((example) => example.sourceEventId === undefined)).toBe(true);
      expect(closed.upserts).toEqual([expect.objectContaining({ recommendationId: 'rec-1', clickClosed: true })]);
      expect(closed.nextDueMs).toBe(T0 + PURCHASE + GRACE);
    });

    it('counts a late click that arrives within the grace', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B'])], T0);
      const result = store.run([click('rec-1', 'A', T0 + CLICK)], T0 + CLICK + GRACE + MINUTE);
      expect(labels(result)).toEqual(['served-click A 1', 'served-click B 0']);
    });

    it('ignores a click delivered after the window closed, so a SKU never gets both labels', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A'])], T0);
      expect(labels(store.run([], T0 + CLICK + GRACE + 1))).toEqual(['served-click A 0']);
      expect(store.run([click('rec-1', 'A', T0 + CLICK)], T0 + CLICK + GRACE + 2).examples).toEqual([]);
    });

    it('gives the negatives once', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A'])], T0);
      store.run([], T0 + CLICK + GRACE + 1);
      expect(store.run([], T0 + CLICK + GRACE + 2)).toEqual({ examples: [], upserts: [], deletes: [], nextDueMs: T0 + PURCHASE + GRACE, evicted: 0 });
    });
  });

  describe('open records per user (maxOpenPerUser)', () => {
    it('closes the oldest past the limit at once: negatives for both windows, then deletion', () => {
      const store = new Store(2);
      store.run([served('rec-1', T0, ['A', 'B']), click('rec-1', 'A', T0 + MINUTE)], T0 + MINUTE);
      store.run([served('rec-2', T0 + 2 * MINUTE, ['C'])], T0 + 2 * MINUTE);
      const result = store.run([served('rec-3', T0 + 3 * MINUTE, ['A'])], T0 + 3 * MINUTE);
      expect(result.evicted).toBe(1);
      expect(result.deletes).toEqual(['rec-1']);
      expect(result.examples.map(({ exampleId, label, eventTime }) => [exampleId, label, eventTime])).toEqual([
        ['rec-1:served-click:B', 0, iso(T0 + CLICK)],
        ['rec-1:served-purchase:A', 0, iso(T0 + PURCHASE)],
        ['rec-1:served-purchase:B', 0, iso(T0 + PURCHASE)],
      ]);
      expect([...store.records.keys()].sort()).toEqual(['rec-2', 'rec-3']);
      // An outcome for the closed record counts for nothing, and its windows never close again.
      expect(store.run([click('rec-1', 'B', T0 + 4 * MINUTE)], T0 + 4 * MINUTE).examples).toEqual([]);
      expect(labels(store.run([], T0 + PURCHASE + GRACE + 4 * MINUTE)).filter((l) => l.includes('rec-1'))).toEqual([]);
    });

    it('counts per user, and a slice bringing more than the limit keeps the newest', () => {
      const store = new Store(2);
      const other = served('rec-x', T0, ['A'], 'user-2002');
      const result = store.run([other, served('rec-1', T0, ['A']), served('rec-2', T0 + 1, ['A']), served('rec-3', T0 + 2, ['A'])], T0 + 2);
      expect(result.deletes).toEqual(['rec-1']);
      expect(result.upserts.map((r) => r.recommendationId).sort()).toEqual(['rec-2', 'rec-3', 'rec-x']);
      expect(result.examples.map((e) => e.exampleId)).toEqual(['rec-1:served-click:A', 'rec-1:served-purchase:A']);
    });

    it('evicts the same records when the slice is delivered again', () => {
      const store = new Store(2);
      const slice = [served('rec-1', T0, ['A']), served('rec-2', T0 + 1, ['A']), served('rec-3', T0 + 2, ['A'])];
      const first = store.run(slice, T0 + 2);
      const again = store.run(slice, T0 + 2);
      expect(first.deletes).toEqual(['rec-1']);
      expect(again.deletes).toEqual(['rec-1']);
      expect([...store.records.keys()].sort()).toEqual(['rec-2', 'rec-3']);
    });

    it('refuses a limit below 1', () => {
      expect(() => new Store(0).run([], T0)).toThrow(RangeError);
    });
  });

  describe('purchases', () => {
    it('count up to exactly purchaseMs after the impression, not 1 ms later', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B'])], T0);
      expect(labels(store.run([order(['A'], T0 + PURCHASE)], T0 + PURCHASE)).filter((l) => l.startsWith('served-purchase'))).toEqual([
        'served-purchase A 1',
      ]);
      expect(labels(store.run([order(['B'], T0 + PURCHASE + 1)], T0 + PURCHASE + 1)).filter((l) => l.startsWith('served-purchase'))).toEqual([]);
    });

    it('credit the most recent impression that served the SKU (last touch)', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B']), served('rec-2', T0 + 10 * MINUTE, ['A', 'C'])], T0 + 10 * MINUTE);
      const result = store.run([order(['A', 'B'], T0 + 15 * MINUTE)], T0 + 15 * MINUTE);
      expect(result.examples.map(({ exampleId, label, eventTime, sourceEventId }) => [exampleId, label, eventTime, sourceEventId])).toEqual([
        ['rec-2:served-purchase:A', 1, iso(T0 + 15 * MINUTE), `evt-order-${T0 + 15 * MINUTE}`],
        ['rec-1:served-purchase:B', 1, iso(T0 + 15 * MINUTE), `evt-order-${T0 + 15 * MINUTE}`],
      ]);
    });

    it('never credit an impression served after the order', () => {
      const store = new Store();
      const result = store.run([served('rec-1', T0, ['A']), order(['A'], T0 + MINUTE), served('rec-2', T0 + 2 * MINUTE, ['A'])], T0 + 2 * MINUTE);
      expect(result.examples.map(({ exampleId }) => exampleId)).toEqual(['rec-1:served-purchase:A']);
    });

    it('count once per recommendation and SKU: a later order of it credits no older impression either', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A']), served('rec-2', T0 + MINUTE, ['A']), order(['A', 'A'], T0 + 2 * MINUTE)], T0 + 2 * MINUTE);
      expect(store.run([order(['A'], T0 + 3 * MINUTE)], T0 + 3 * MINUTE).examples).toEqual([]);
      expect(store.records.get('rec-2')?.purchased).toEqual(['A']);
      expect(store.records.get('rec-1')?.purchased).toEqual([]);
    });

    it('come from orders only: a purchase reported against the recommendation gives no label', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A'])], T0);
      const reported = event(EventType.RecommendationPurchased, T0 + MINUTE, { data: { recommendationId: 'rec-1', sku: 'A' } });
      expect(store.run([reported], T0 + MINUTE).examples).toEqual([]);
      expect(store.records.get('rec-1')?.purchased).toEqual([]);
      expect(labels(store.run([order(['A'], T0 + 2 * MINUTE)], T0 + 2 * MINUTE))).toEqual(['served-purchase A 1']);
    });

    it("ignore other users' orders", () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A'])], T0);
      expect(store.run([order(['A'], T0 + MINUTE, 'user-2002')], T0 + MINUTE).examples).toEqual([]);
    });
  });

  describe('purchase window close', () => {
    it('waits for the grace, then gives negatives for the SKUs not bought and deletes the record', () => {
      const store = new Store();
      expect(labels(store.run([served('rec-1', T0, ['A', 'B', 'C']), order(['B'], T0 + 10 * MINUTE)], T0 + 10 * MINUTE))).toEqual([
        'served-purchase B 1',
      ]);
      expect(labels(store.run([], T0 + PURCHASE + GRACE))).toEqual(['served-click A 0', 'served-click B 0', 'served-click C 0']);
      const closed = store.run([], T0 + PURCHASE + GRACE + 1);
      expect(labels(closed)).toEqual(['served-purchase A 0', 'served-purchase C 0']);
      expect(closed.examples.map(({ eventTime }) => eventTime)).toEqual([iso(T0 + PURCHASE), iso(T0 + PURCHASE)]);
      expect(closed).toMatchObject({ upserts: [], deletes: ['rec-1'], nextDueMs: null });
      expect(store.records.size).toBe(0);
    });

    it('closes both windows at once when the watermark jumps', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B']), click('rec-1', 'A', T0 + MINUTE)], T0 + MINUTE);
      const result = store.run([], T0 + 2 * PURCHASE);
      expect(labels(result)).toEqual(['served-click B 0', 'served-purchase A 0', 'served-purchase B 0']);
      expect(result).toMatchObject({ upserts: [], deletes: ['rec-1'] });
    });

    it('counts outcomes of the slice before closing on its watermark', () => {
      const store = new Store();
      store.run([served('rec-1', T0, ['A', 'B'])], T0);
      const result = store.run([order(['A'], T0 + PURCHASE)], T0 + PURCHASE + GRACE + 1);
      expect(labels(result)).toEqual(['served-purchase A 1', 'served-click A 0', 'served-click B 0', 'served-purchase B 0']);
    });

    it('reports the earliest window still open', () => {
      const store = new Store();
      const result = store.run([served('rec-1', T0, ['A']), served('rec-2', T0 + MINUTE, ['B'])], T0 + CLICK + GRACE + 1);
      expect(result.nextDueMs).toBe(T0 + MINUTE + CLICK + GRACE);
    });
  });

  describe('redelivery', () => {
    const slice1 = [served('rec-1', T0, ['A', 'B', 'C']), click('rec-1', 'A', T0 + MINUTE), served('rec-2', T0 + 2 * MINUTE, ['B'])];
    const slice2 = [order(['A', 'B'], T0 + 3 * MINUTE)];

    it('gives no new example when a slice is applied again to the state that includes it', () => {
      const store = new Store();
      const first = [...store.run(slice1, T0 + 2 * MINUTE).examples, ...store.run(slice2, T0 + 3 * MINUTE).examples];
      expect(first.map(({ exampleId }) => exampleId)).toEqual(['rec-1:served-click:A', 'rec-1:served-purchase:A', 'rec-2:served-purchase:B']);
      const stored = copy(store.records);
      expect(store.run(slice1, T0 + 3 * MINUTE).examples).toEqual([]);
      expect(store.run(slice2, T0 + 3 * MINUTE).examples).toEqual([]);
      expect(store.records).toEqual(stored);
    });

    it('gives no new example after negatives or deletion either', () => {
      const store = new Store();
      store.run([...slice1, ...slice2], T0 + 3 * MINUTE);
      const closing = store.run([], T0 + PURCHASE + 2 * MINUTE + GRACE + 1);
      expect(closing.deletes).toEqual(['rec-1', 'rec-2']);
      // The impressions come back but their windows are over: they are not opened again.
      const again = store.run([...slice1, ...slice2], T0 + PURCHASE + 2 * MINUTE + GRACE + 1);
      expect(again).toEqual({ examples: [], upserts: [], deletes: [], nextDueMs: null, evicted: 0 });
    });

    it('gives one example per recommendation, kind and SKU over the whole life of a record', () => {
      const store = new Store();
      const all = [
        ...store.run(slice1, T0 + 2 * MINUTE).examples,
        ...store.run(slice1, T0 + 2 * MINUTE).examples,
        ...store.run(slice2, T0 + 3 * MINUTE).examples,
        ...store.run([], T0 + CLICK + 2 * MINUTE + GRACE + 1).examples,
        ...store.run(slice2, T0 + CLICK + 2 * MINUTE + GRACE + 1).examples,
        ...store.run([], T0 + 2 * PURCHASE).examples,
        ...store.run([...slice1, ...slice2], T0 + 2 * PURCHASE).examples,
      ];
      const ids = all.map(({ exampleId }) => exampleId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(
        [
          'rec-1:served-click:A',
          'rec-1:served-click:B',
          'rec-1:served-click:C',
          'rec-1:served-purchase:A',
          'rec-1:served-purchase:B',
          'rec-1:served-purchase:C',
          'rec-2:served-click:B',
          'rec-2:served-purchase:B',
        ].sort(),
      );
      expect(all.filter(({ label }) => label === 1).map(({ exampleId }) => exampleId)).toEqual([
        'rec-1:served-click:A',
        'rec-1:served-purchase:A',
        'rec-2:served-purchase:B',
      ]);
    });
  });

  it('leaves its input records untouched', () => {
    const store = new Store();
    store.run([served('rec-1', T0, ['A'])], T0);
    const before = copy(store.records);
    attribute({ records: store.records, events: [click('rec-1', 'A', T0 + 1)], watermarkMs: T0 + 2 * PURCHASE, snapshot: snapshot() });
    expect(store.records).toEqual(before);
  });

  it('ignores events that are not impressions, clicks or orders', () => {
    const result = attribute({ records: new Map(), events: [event(EventType.ProductViewed, T0)], watermarkMs: T0, snapshot: snapshot() });
    expect(result).toEqual({ examples: [], upserts: [], deletes: [], nextDueMs: null, evicted: 0 });
  });

  it('takes custom windows and rejects a click window longer than the purchase window', () => {
    const store = new Store();
    const result = attribute({
      records: store.records,
      events: [served('rec-1', T0, ['A']), click('rec-1', 'A', T0 + 2 * MINUTE)],
      watermarkMs: T0 + 2 * MINUTE,
      snapshot: snapshot(),
      windows: { clickMs: MINUTE },
    });
    expect(result.examples).toEqual([]);
    expect(() => attributionWindows({ clickMs: PURCHASE + 1 })).toThrow(RangeError);
    expect(() => attributionWindows({ graceMs: -1 })).toThrow(RangeError);
  });
});

describe('served record codec', () => {
  const record = () => new Store().run([served('rec-1', T0, ['A', 'B', 'C'])], T0).upserts[0];

  it('round-trips a record', () => {
    const original = { ...record(), clicked: ['A'], purchased: ['B'], clickClosed: true };
    const encoded = encodeServedRecord(original);
    expect(decodeServedRecord(encoded)).toEqual(original);
    expect(Object.keys(decodeServedRecord(encoded).userFeatures)).toEqual(Object.keys(original.userFeatures));
  });

  it('writes feature names once per record, not once per SKU', () => {
    const skus = Array.from({ length: 10 }, (_, i) => `SKU-${i}`);
    const [tenItems] = new Store().run([served('rec-10', T0, skus)], T0).upserts;
    const encoded = encodeServedRecord(tenItems);
    expect(encoded.length).toBeLessThan(JSON.stringify(tenItems).length / 2);
  });

  it('keeps a record without a model name', () => {
    const { modelName: _dropped, ...withoutName } = record();
    expect(decodeServedRecord(encodeServedRecord(withoutName))).toEqual(withoutName);
  });

  it.each([
    ['not JSON', '{'],
    ['a missing field', JSON.stringify({ recommendationId: 'rec-1' })],
    ['a row of the wrong length', encodeServedRecord(record()).replace('"rows":{"A":[', '"rows":{"A":[1,')],
  ])('rejects %s with a code', (_case, text) => {
    expect(() => decodeServedRecord(text)).toThrow(expect.objectContaining({ code: SERVED_RECORD_INVALID, retriable: false }));
  });
});
