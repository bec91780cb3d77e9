import {
  EventType,
  exampleEvent,
  parseEvent,
  trainingExampleSchema,
  type EventTypeName,
  type ExampleEventOverrides,
  type StoreloopEvent,
  type TrainingExample,
} from '@storeloop/contracts';
import {
  emptyItemView,
  emptyUserView,
  ITEM_FEATURE_NAMES,
  itemFeatureVector,
  USER_FEATURE_NAMES,
  USER_ITEM_FEATURE_NAMES,
  userFeatureVector,
  userItemFeatures,
  type ItemFeatureView,
  type UserFeatureView,
} from '@storeloop/feature-store';
import { snapshotKey, snapshotRequest, type FeatureSnapshot } from './feature-snapshot';
import { buildInteractionExamples, type SliceEvent } from './interaction-examples';

const SLICE_START = '2024-05-01T10:00:00.000Z';
const LATER = '2024-05-01T10:05:00.000Z';

function event<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T> = {}): StoreloopEvent {
  const parsed = parseEvent(exampleEvent(type, { time: LATER, ...overrides }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}

const slice = (...events: StoreloopEvent[]): SliceEvent[] =>
  events.map((e, offset) => ({ event: e, topic: 'retail.events.v1', partition: 0, offset: String(offset) }));

const shopper: UserFeatureView = {
  ...emptyUserView('default', 'user-1001', SLICE_START),
  known: true,
  decayedCounts: { ...emptyUserView('default', 'user-1001', SLICE_START).decayedCounts, view: 3.5 },
  categoryAffinity: [{ path: ['Sports', 'Running'], weight: 2.5 }],
  recentItems: [{ sku: 'SKU-123', activity: 'view', at: SLICE_START }],
};

const shoe: ItemFeatureView = {
  ...emptyItemView('default', 'SKU-123', SLICE_START),
  known: true,
  totals: { ...emptyItemView('default', 'SKU-123', SLICE_START).totals, view: 40 },
  price: { amount: '89.90', currency: 'EUR' },
  categoryPath: ['Sports', 'Running'],
};

function snapshot(users: UserFeatureView[] = [shopper], items: ItemFeatureView[] = [shoe]): FeatureSnapshot {
  return {
    asOfMs: Date.parse(SLICE_START),
    users: new Map(users.map((view) => [snapshotKey(view.tenant, view.userId), view])),
    items: new Map(items.map((view) => [snapshotKey(view.tenant, view.sku), view])),
  };
}

function build(events: SliceEvent[], at: FeatureSnapshot = snapshot()): TrainingExample[] {
  const examples = buildInteractionExamples(events, at);
  for (const example of examples) expect(trainingExampleSchema.parse(example)).toEqual(example);
  return examples;
}

describe('buildInteractionExamples', () => {
  it.each([
    [EventType.ProductViewed, 'view', 'SKU-123'],
    [EventType.CartItemAdded, 'cart', 'SKU-123'],
    [EventType.ProductFavorited, 'favorite', 'SKU-456'],
  ] as const)('makes one positive example of a %s', (type, kind, sku) => {
    const source = event(type, { id: 'evt-1' });
    expect(build(slice(source))).toEqual([
      {
        exampleId: `evt-1:${kind}:${sku}`,
        userId: 'user-1001',
        sku,
        label: 1,
        eventTime: LATER,
        featureTime: SLICE_START,
        userFeatures: expect.any(Object),
        itemFeatures: expect.any(Object),
        kind,
        tenant: 'default',
        sourceEventId: 'evt-1',
      },
    ]);
  });

  it('makes one example per order line, told apart by the line index', () => {
    const order = event(EventType.OrderPlaced, {
      id: 'evt-order',
      data: {
        items: [
          { sku: 'SKU-123', quantity: 1, unitPrice: { amount: '19.99', currency: 'EUR' } },
          { sku: 'SKU-456', quantity: 3, unitPrice: { amount: '4.50', currency: 'EUR' } },
          { sku: 'SKU-123', quantity: 2, unitPrice: { amount: '17.00', currency: 'EUR' } },
        ],
      },
    });
    const examples = build(slice(order));
    expect(examples.map(({ exampleId, kind, sku }) => [exampleId, kind, sku])).toEqual([
      ['evt-order:order:SKU-123:0', 'order', 'SKU-123'],
      ['evt-order:order:SKU-456:1', 'order', 'SKU-456'],
      ['evt-order:order:SKU-123:2', 'order', 'SKU-123'],
    ]);
  });

  it('keeps the recommendation and position of a click', () => {
    const [example] = build(slice(event(EventType.RecommendationClicked, { id: 'evt-click' })));
    expect(example).toMatchObject({ exampleId: 'evt-click:click:SKU-456', kind: 'click', recommendationId: 'rec-7f3a', position: 2 });
  });

  it.each([EventType.CartItemRemoved, EventType.SearchPerformed, EventType.CatalogItemUpserted, EventType.InventorySnapshotTaken, EventType.RecommendationServed])(
    'makes nothing of a %s',
    (type) => {
      expect(build(slice(event(type)))).toEqual([]);
    },
  );

  it('takes features from the snapshot: user vector with cross features, item vector', () => {
    const [example] = build(slice(event(EventType.ProductViewed)));
    expect(example.userFeatures).toEqual({ ...userFeatureVector(shopper), ...userItemFeatures(shopper, shoe) });
    expect(Object.keys(example.userFeatures)).toEqual([...USER_FEATURE_NAMES, ...USER_ITEM_FEATURE_NAMES]);
    expect(example.userFeatures).toMatchObject({ known: 1, 'decayed.view': 3.5, 'x.affinity.itemCategory': 2.5, 'x.recent.seenItem': 1 });
    expect(example.itemFeatures).toEqual(itemFeatureVector(shoe));
    expect(example.itemFeatures).toMatchObject({ known: 1, 'total.view': 40, price: 89.9 });
  });

  it('uses empty views for users and items missing from the snapshot, or held for another tenant', () => {
    const elsewhere = snapshot([{ ...shopper, tenant: 'acme' }], [{ ...shoe, tenant: 'acme' }]);
    for (const at of [snapshot([], []), elsewhere]) {
      const [example] = build(slice(event(EventType.ProductViewed)), at);
      expect(example.userFeatures).toEqual({
        ...userFeatureVector(emptyUserView('default', 'user-1001', SLICE_START)),
        ...Object.fromEntries(USER_ITEM_FEATURE_NAMES.map((name) => [name, 0])),
      });
      expect(example.itemFeatures).toEqual(Object.fromEntries(ITEM_FEATURE_NAMES.map((name) => [name, 0])));
    }
  });

  it('reads the views of the event tenant', () => {
    const acme = { ...shopper, tenant: 'acme', decayedCounts: { ...shopper.decayedCounts, view: 9 } };
    const [example] = build(slice(event(EventType.ProductViewed, { tenant: 'acme' })), snapshot([shopper, acme]));
    expect(example).toMatchObject({ tenant: 'acme', userFeatures: { 'decayed.view': 9 } });
  });

  it('never dates features after the event', () => {
    const early = '2024-05-01T09:59:59.000Z';
    const [example] = build(slice(event(EventType.ProductViewed, { time: early })));
    expect(example.featureTime).toBe(early);
  });

  it('gives the same examples on redelivery', () => {
    const events = slice(event(EventType.ProductViewed, { id: 'evt-a' }), event(EventType.OrderPlaced, { id: 'evt-b' }));
    expect(build(events)).toEqual(build(events));
    expect(build(events).map((example) => example.exampleId)).toEqual(['evt-a:view:SKU-123', 'evt-b:order:SKU-123:0', 'evt-b:order:SKU-456:1']);
  });
});

describe('snapshotRequest', () => {
  it('lists the users and items to read per tenant, as of the earliest event', () => {
    const request = snapshotRequest([
      event(EventType.ProductViewed, { time: LATER }),
      event(EventType.OrderPlaced, { time: SLICE_START }),
      event(EventType.RecommendationServed, { tenant: 'acme', data: { userId: 'user-7' } }),
      event(EventType.CatalogItemUpserted, { data: { sku: 'SKU-999' } }),
      event(EventType.SearchPerformed, { data: { userId: 'user-8' } }),
    ]);
    expect(request.asOfMs).toBe(Date.parse(SLICE_START));
    expect(request.byTenant).toEqual(
      new Map([
        ['default', { userIds: ['user-1001'], skus: ['SKU-123', 'SKU-456'] }],
        ['acme', { userIds: ['user-7'], skus: ['SKU-123', 'SKU-456'] }],
      ]),
    );
  });

  it('is empty for an empty slice', () => {
    expect(snapshotRequest([])).toEqual({ asOfMs: null, byTenant: new Map() });
  });
});
