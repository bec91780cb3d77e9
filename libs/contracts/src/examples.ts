import { CLOUDEVENTS_SPEC_VERSION, type CloudEventAttributesInput } from './envelope';
import { EventType, type EventDataInputOfType, type EventInputOfType, type EventTypeName } from './event-types';
import type { TopicPayloads } from './topics';

/**
 * Valid example events and records, for tests and event generators in any
 * library. Every call returns a fresh copy, so callers may mutate it.
 * Ids are fixed; generators that publish many events override `id`.
 */

export const EXAMPLE_TIME = '2024-05-01T10:15:30.000Z';

const EXAMPLE_DATA: { [T in EventTypeName]: EventDataInputOfType<T> } = {
  [EventType.ProductViewed]: { userId: 'user-1001', sessionId: 'sess-42', channel: 'web', sku: 'SKU-123' },
  [EventType.CartItemAdded]: {
    userId: 'user-1001',
    sessionId: 'sess-42',
    channel: 'web',
    sku: 'SKU-123',
    quantity: 2,
    unitPrice: { amount: '19.99', currency: 'EUR' },
  },
  [EventType.CartItemRemoved]: { userId: 'user-1001', sessionId: 'sess-42', channel: 'web', sku: 'SKU-123', quantity: 1 },
  [EventType.OrderPlaced]: {
    userId: 'user-1001',
    sessionId: 'sess-42',
    channel: 'web',
    store: 'store-0042',
    orderId: 'order-9001',
    items: [
      { sku: 'SKU-123', quantity: 1, unitPrice: { amount: '19.99', currency: 'EUR' } },
      { sku: 'SKU-456', quantity: 3, unitPrice: { amount: '4.50', currency: 'EUR' } },
    ],
  },
  [EventType.SearchPerformed]: {
    userId: 'user-1001',
    sessionId: 'sess-42',
    channel: 'app',
    query: 'running shoes',
    resultsCount: 48,
    clickedSkus: ['SKU-123'],
  },
  [EventType.ProductFavorited]: { userId: 'user-1001', channel: 'app', sku: 'SKU-456' },
  [EventType.CatalogItemUpserted]: {
    sku: 'SKU-123',
    title: 'Trail running shoe',
    categoryPath: ['Sports', 'Running', 'Shoes'],
    price: { amount: '89.90', currency: 'EUR' },
    attributes: { brand: 'Stride', size: 42, waterproof: true },
  },
  [EventType.InventorySnapshotTaken]: {
    sku: 'SKU-123',
    store: 'store-0042',
    onHand: 17,
    onOrder: 24,
    asOf: '2024-05-01T06:00:00.000Z',
  },
  [EventType.GoodsReceived]: { sku: 'SKU-123', store: 'store-0042', quantity: 24, purchaseOrderId: 'po-5531' },
  [EventType.RecommendationServed]: {
    userId: 'user-1001',
    sessionId: 'sess-42',
    channel: 'web',
    recommendationId: 'rec-7f3a',
    modelName: 'two-tower',
    modelVersion: '2024-05-01.3',
    surface: 'home',
    items: [
      { sku: 'SKU-123', position: 1, score: 0.91 },
      { sku: 'SKU-456', position: 2, score: 0.74 },
    ],
  },
  [EventType.RecommendationClicked]: {
    userId: 'user-1001',
    sessionId: 'sess-42',
    channel: 'web',
    recommendationId: 'rec-7f3a',
    sku: 'SKU-456',
    position: 2,
  },
  [EventType.RecommendationPurchased]: {
    userId: 'user-1001',
    sessionId: 'sess-42',
    channel: 'web',
    recommendationId: 'rec-7f3a',
    sku: 'SKU-456',
    position: 2,
    quantity: 3,
    orderId: 'order-9001',
  },
  [EventType.UserErasureRequested]: { userId: 'user-1001', requestedBy: 'privacy-portal', reason: 'GDPR art. 17 request' },
};

const EXAMPLE_SOURCES: Record<EventTypeName, string> = {
  [EventType.ProductViewed]: '/web-shop',
  [EventType.CartItemAdded]: '/web-shop',
  [EventType.CartItemRemoved]: '/web-shop',
  [EventType.OrderPlaced]: '/web-shop',
  [EventType.SearchPerformed]: '/mobile-app',
  [EventType.ProductFavorited]: '/mobile-app',
  [EventType.CatalogItemUpserted]: '/pim',
  [EventType.InventorySnapshotTaken]: '/wms',
  [EventType.GoodsReceived]: '/wms',
  [EventType.RecommendationServed]: '/storeloop/inference',
  [EventType.RecommendationClicked]: '/web-shop',
  [EventType.RecommendationPurchased]: '/web-shop',
  [EventType.UserErasureRequested]: '/crm',
};

export type ExampleEventOverrides<T extends EventTypeName> = Partial<CloudEventAttributesInput> & {
  /** Merged over the example's data, one level deep. */
  data?: Partial<EventDataInputOfType<T>>;
  /** CloudEvents extension attributes. */
  [extension: string]: unknown;
};

/** The example data of one event type. */
export function exampleData<T extends EventTypeName>(type: T): EventDataInputOfType<T> {
  return structuredClone(EXAMPLE_DATA[type]);
}

/** A valid event of `type` as a producer would send it, with `overrides` applied. */
export function exampleEvent<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T> = {}): EventInputOfType<T> {
  const { data, ...attributes } = structuredClone(overrides);
  return {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: `evt-${type.split('.').slice(2, -1).join('-')}-0001`,
    source: EXAMPLE_SOURCES[type],
    type,
    time: EXAMPLE_TIME,
    tenant: 'default',
    ...attributes,
    data: { ...exampleData(type), ...data },
  } as EventInputOfType<T>;
}

type RecordTopic = 'retail.events.dlq.v1' | 'retail.training-examples.v1' | 'retail.models.v1' | 'retail.replenishment.v1';

const EXAMPLE_RECORDS: { [N in RecordTopic]: TopicPayloads[N] } = {
  'retail.events.dlq.v1': {
    reason: 'data.items.0.quantity: Too small: expected number to be >0',
    code: 'CONTRACT.SCHEMA_INVALID',
    retriable: false,
    issues: [{ path: 'data.items.0.quantity', message: 'Too small: expected number to be >0' }],
    sourceTopic: 'retail.events.raw.v1',
    partition: 3,
    offset: '128734',
    key: 'dXNlci0xMDAx',
    value: 'eyJpZCI6ImV2dC0xIn0=',
    headers: { traceparent: 'MDAtNGJmOTJmMzU3N2IzNGRhNmEzY2U5MjlkMGUwZTQ3MzYtMDBmMDY3YWE0YmEwMmM3Zi0wMQ==' },
    failedAt: EXAMPLE_TIME,
    attempts: 1,
    consumerGroup: 'storeloop-ingestion',
  },
  'retail.training-examples.v1': {
    exampleId: 'ex-user-1001-SKU-123-1714558530000',
    userId: 'user-1001',
    sku: 'SKU-123',
    label: 1,
    eventTime: EXAMPLE_TIME,
    featureTime: '2024-05-01T10:15:29.000Z',
    userFeatures: { views7d: 12, orders30d: 2 },
    itemFeatures: { popularity7d: 0.37, price: 89.9 },
  },
  'retail.models.v1': {
    modelName: 'two-tower',
    version: '2024-05-01.3',
    stage: 'promoted',
    championVersion: '2024-05-01.3',
    metrics: { 'ndcg@10': 0.412, 'hr@10': 0.688 },
    artifactUri: 'file:///var/lib/storeloop/models/two-tower/2024-05-01.3',
    backend: 'tensorflow',
    at: EXAMPLE_TIME,
  },
  'retail.replenishment.v1': {
    sku: 'SKU-123',
    store: 'store-0042',
    quantity: 24,
    policy: 'base-stock',
    policyVersion: '3',
    forPeriod: '2024-05-02',
    createdAt: EXAMPLE_TIME,
  },
};

/** A valid record of a non-CloudEvents topic, fields in `overrides` replaced. */
export function exampleRecord<N extends RecordTopic>(topic: N, overrides: Partial<TopicPayloads[N]> = {}): TopicPayloads[N] {
  return { ...structuredClone(EXAMPLE_RECORDS[topic]), ...structuredClone(overrides) } as TopicPayloads[N];
}
