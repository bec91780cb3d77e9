import { CONTRACT_ERROR_CODES } from './errors';
import { EVENT_TYPE_NAMES, EventType, partitionKeyOf, type EventTypeName } from './event-types';
import { exampleData, exampleEvent } from './examples';
import { parseEvent, type ParseEventResult } from './parse-event';

type Json = Record<string, unknown>;

/** A copy of `value` with the dotted `path` removed. */
function without(value: unknown, path: string): Json {
  const copy = structuredClone(value) as Json;
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce<Json>((node, key) => node[key] as Json, copy);
  delete parent[keys[keys.length - 1]];
  return copy;
}

/** A copy of `value` with the dotted `path` set to `replacement`. */
function withValue(value: unknown, path: string, replacement: unknown): Json {
  const copy = structuredClone(value) as Json;
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce<Json>((node, key) => node[key] as Json, copy);
  parent[keys[keys.length - 1]] = replacement;
  return copy;
}

function expectRejected(result: ParseEventResult, code: string, path: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  expect(result.issues.map((issue) => issue.path)).toContain(path);
}

function parsedOrFail(input: unknown) {
  const result = parseEvent(input);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result.issues)}`);
  return result.event;
}

/**
 * Per event type: the data fields a producer must send, a field given the
 * wrong JSON type, and the expected Kafka key of the example. Written by hand,
 * not derived from the schemas, so that a schema change shows up here.
 */
const CASES: Record<EventTypeName, { required: string[]; wrongType: [string, unknown]; key: string }> = {
  [EventType.ProductViewed]: { required: ['data.userId', 'data.sku'], wrongType: ['data.sku', 123], key: 'user-1001' },
  [EventType.CartItemAdded]: {
    required: ['data.userId', 'data.sku', 'data.quantity'],
    wrongType: ['data.quantity', '2'],
    key: 'user-1001',
  },
  [EventType.CartItemRemoved]: {
    required: ['data.userId', 'data.sku', 'data.quantity'],
    wrongType: ['data.quantity', 1.5],
    key: 'user-1001',
  },
  [EventType.OrderPlaced]: {
    required: ['data.userId', 'data.orderId', 'data.items', 'data.items.0.sku', 'data.items.0.quantity', 'data.items.0.unitPrice'],
    wrongType: ['data.items.0.quantity', 'one'],
    key: 'user-1001',
  },
  [EventType.SearchPerformed]: {
    required: ['data.userId', 'data.query', 'data.resultsCount'],
    wrongType: ['data.clickedSkus', 'SKU-123'],
    key: 'user-1001',
  },
  [EventType.ProductFavorited]: { required: ['data.userId', 'data.sku'], wrongType: ['data.channel', 'fax'], key: 'user-1001' },
  [EventType.CatalogItemUpserted]: {
    required: ['data.sku', 'data.title', 'data.categoryPath', 'data.price', 'data.price.amount', 'data.price.currency'],
    wrongType: ['data.categoryPath', 'Sports > Running'],
    key: 'SKU-123',
  },
  [EventType.InventorySnapshotTaken]: {
    required: ['data.sku', 'data.store', 'data.onHand', 'data.onOrder', 'data.asOf'],
    wrongType: ['data.onHand', -1],
    key: 'SKU-123:store-0042',
  },
  [EventType.GoodsReceived]: {
    required: ['data.sku', 'data.store', 'data.quantity', 'data.purchaseOrderId'],
    wrongType: ['data.quantity', 0],
    key: 'SKU-123:store-0042',
  },
  [EventType.RecommendationServed]: {
    required: ['data.userId', 'data.recommendationId', 'data.modelVersion', 'data.surface', 'data.items', 'data.items.0.score'],
    wrongType: ['data.items.1.score', 'high'],
    key: 'user-1001',
  },
  [EventType.RecommendationClicked]: {
    required: ['data.userId', 'data.recommendationId', 'data.sku', 'data.position'],
    wrongType: ['data.position', 0],
    key: 'user-1001',
  },
  [EventType.RecommendationPurchased]: {
    required: ['data.userId', 'data.recommendationId', 'data.sku'],
    wrongType: ['data.quantity', 0],
    key: 'user-1001',
  },
  [EventType.UserErasureRequested]: {
    required: ['data.userId', 'data.requestedBy', 'data.reason'],
    wrongType: ['data.requestedBy', null],
    key: 'user-1001',
  },
};

it('has a test case for every event type', () => {
  expect(Object.keys(CASES).sort()).toEqual([...EVENT_TYPE_NAMES].sort());
});

describe.each(EVENT_TYPE_NAMES)('%s', (type) => {
  const { required, wrongType, key } = CASES[type];

  it('accepts the example event', () => {
    const event = parsedOrFail(exampleEvent(type));
    expect(event.type).toBe(type);
    expect(event.data).toMatchObject(exampleData(type) as Json);
  });

  it.each([...required, 'data'])('rejects the event without %s, naming that path', (path) => {
    expectRejected(parseEvent(without(exampleEvent(type), path)), CONTRACT_ERROR_CODES.SchemaInvalid, path);
  });

  it(`rejects a wrong ${wrongType[0]}, naming that path`, () => {
    const [path, value] = wrongType;
    expectRejected(parseEvent(withValue(exampleEvent(type), path, value)), CONTRACT_ERROR_CODES.SchemaInvalid, path);
  });

  it.each(['2024-13-45', 'yesterday', '2024-05-01T10:15:30'])('rejects time %p with path "time"', (time) => {
    expectRejected(parseEvent(exampleEvent(type, { time })), CONTRACT_ERROR_CODES.SchemaInvalid, 'time');
  });

  it(`is keyed by ${key}`, () => {
    expect(partitionKeyOf(parsedOrFail(exampleEvent(type)))).toBe(key);
  });

  it('parses its own output to the same value (normalisation is idempotent)', () => {
    const once = parsedOrFail(exampleEvent(type, { time: '2024-05-01T12:15:30+02:00' }));
    expect(parsedOrFail(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });
});

describe('parseEvent result codes', () => {
  it.each([null, undefined, 42, 'event', true, [exampleEvent(EventType.ProductViewed)], new Map(), new Date()])(
    'rejects %p as NOT_AN_OBJECT',
    (input) => {
      expectRejected(parseEvent(input), CONTRACT_ERROR_CODES.NotAnObject, '');
    },
  );

  it.each(['com.storeloop.product.teleported.v1', 'com.example.order.placed.v1', 'ProductViewed'])(
    'rejects type %p as UNKNOWN_EVENT_TYPE',
    (type) => {
      expectRejected(parseEvent({ ...exampleEvent(EventType.ProductViewed), type }), CONTRACT_ERROR_CODES.UnknownEventType, 'type');
    },
  );

  it.each(['com.storeloop.product.viewed.v9', 'com.storeloop.order.placed.v2', 'com.storeloop.product.viewed'])(
    'rejects type %p as UNSUPPORTED_VERSION',
    (type) => {
      const result = parseEvent({ ...exampleEvent(EventType.ProductViewed), type });
      expectRejected(result, CONTRACT_ERROR_CODES.UnsupportedVersion, 'type');
      expect(!result.ok && result.issues[0].message).toContain('supported: v1');
    },
  );

  it('reports every envelope problem when type is missing', () => {
    const event = exampleEvent(EventType.ProductViewed, { id: '' });
    const result = parseEvent(without(event, 'type'));
    expect(result).toEqual({
      ok: false,
      code: CONTRACT_ERROR_CODES.SchemaInvalid,
      issues: expect.arrayContaining([expect.objectContaining({ path: 'type' }), expect.objectContaining({ path: 'id' })]),
    });
  });

  it('rejects a non-string type as SCHEMA_INVALID', () => {
    expectRejected(parseEvent({ ...exampleEvent(EventType.ProductViewed), type: 7 }), CONTRACT_ERROR_CODES.SchemaInvalid, 'type');
  });

  it('reports nested paths with dots and indexes', () => {
    const event = exampleEvent(EventType.OrderPlaced);
    const result = parseEvent(withValue(event, 'data.items.1.quantity', 0));
    expect(result).toEqual({
      ok: false,
      code: CONTRACT_ERROR_CODES.SchemaInvalid,
      issues: [{ path: 'data.items.1.quantity', message: expect.any(String) }],
    });
  });
});

describe('normalisation', () => {
  it('converts an offset time to UTC', () => {
    expect(parsedOrFail(exampleEvent(EventType.ProductViewed, { time: '2024-05-01T12:15:30+02:00' })).time).toBe(
      '2024-05-01T10:15:30.000Z',
    );
  });

  it('converts timestamps inside data to UTC', () => {
    const event = parsedOrFail(exampleEvent(EventType.InventorySnapshotTaken, { data: { asOf: '2024-05-01T01:00:00-05:00' } }));
    expect(event.type === EventType.InventorySnapshotTaken && event.data.asOf).toBe('2024-05-01T06:00:00.000Z');
  });

  it('trims identifiers and rejects blank ones', () => {
    const event = parsedOrFail(exampleEvent(EventType.ProductViewed, { id: ' evt-1 ', data: { userId: ' user-7 ', sku: '\tSKU-9 ' } }));
    expect(event).toMatchObject({ id: 'evt-1', data: { userId: 'user-7', sku: 'SKU-9' } });
    const blank = exampleEvent(EventType.ProductViewed, { data: { userId: '   ' } });
    expectRejected(parseEvent(blank), CONTRACT_ERROR_CODES.SchemaInvalid, 'data.userId');
  });

  it('turns numeric prices into decimal strings', () => {
    const line = { sku: 'SKU-1', quantity: 2, unitPrice: { amount: 4.5, currency: 'EUR' } };
    const event = parsedOrFail(exampleEvent(EventType.OrderPlaced, { data: { items: [line] } }));
    expect(event.type === EventType.OrderPlaced && event.data.items[0].unitPrice).toEqual({ amount: '4.5', currency: 'EUR' });
  });

  it('rejects an order mixing currencies at the odd line', () => {
    const event = exampleEvent(EventType.OrderPlaced);
    expectRejected(
      parseEvent(withValue(event, 'data.items.1.unitPrice.currency', 'USD')),
      CONTRACT_ERROR_CODES.SchemaInvalid,
      'data.items.1.unitPrice.currency',
    );
  });

  it('rejects an order without lines', () => {
    const empty = exampleEvent(EventType.OrderPlaced, { data: { items: [] } });
    expectRejected(parseEvent(empty), CONTRACT_ERROR_CODES.SchemaInvalid, 'data.items');
  });

  it('rejects a recommendation list that repeats a position', () => {
    const event = exampleEvent(EventType.RecommendationServed);
    expectRejected(parseEvent(withValue(event, 'data.items.1.position', 1)), CONTRACT_ERROR_CODES.SchemaInvalid, 'data.items.1.position');
  });

  it('accepts a recommendation that served nothing', () => {
    expect(parseEvent(exampleEvent(EventType.RecommendationServed, { data: { items: [] } })).ok).toBe(true);
  });
});

describe('schema evolution within v1', () => {
  it('accepts a newer producer’s unknown data field and strips it', () => {
    const event = parsedOrFail(exampleEvent(EventType.ProductViewed, { data: { referrer: 'newsletter', experimentArm: 'B' } as never }));
    expect(event.data).not.toHaveProperty('referrer');
    expect(event.data).not.toHaveProperty('experimentArm');
    expect(event.data).toMatchObject({ userId: 'user-1001', sku: 'SKU-123' });
  });

  it('accepts an older producer’s event without the later optional fields, with defaults', () => {
    const older = without(without(exampleEvent(EventType.CartItemAdded), 'data.sessionId'), 'data.channel');
    const event = parsedOrFail(without(older, 'data.unitPrice'));
    expect(event.data).toEqual({ userId: 'user-1001', sku: 'SKU-123', quantity: 2, channel: 'unknown' });
  });

  it('defaults optional collections an older producer did not send', () => {
    const search = parsedOrFail(without(exampleEvent(EventType.SearchPerformed), 'data.clickedSkus'));
    expect(search.type === EventType.SearchPerformed && search.data.clickedSkus).toEqual([]);
    const item = parsedOrFail(without(without(exampleEvent(EventType.CatalogItemUpserted), 'data.attributes'), 'data.active'));
    expect(item.type === EventType.CatalogItemUpserted && item.data).toMatchObject({ attributes: {}, active: true });
  });

  it('counts a recommendation purchase without quantity as one item, position and order unknown', () => {
    const bare = without(without(without(exampleEvent(EventType.RecommendationPurchased), 'data.quantity'), 'data.position'), 'data.orderId');
    const event = parsedOrFail(bare);
    expect(event.type === EventType.RecommendationPurchased && event.data).toEqual({
      userId: 'user-1001',
      sessionId: 'sess-42',
      channel: 'web',
      recommendationId: 'rec-7f3a',
      sku: 'SKU-456',
      quantity: 1,
    });
  });
});

describe('hostile keys', () => {
  it('refuses a top-level "__proto__" member instead of letting it become the prototype of the event', () => {
    const text = JSON.stringify(exampleEvent(EventType.ProductViewed)).replace(/^\{/, '{"__proto__":{"polluted":1},');
    const result = parseEvent(JSON.parse(text));
    expect(result).toEqual({ ok: false, code: 'CONTRACT.SCHEMA_INVALID', issues: [{ path: '__proto__', message: 'is a reserved name' }] });
  });

  it('drops a "__proto__" member inside data with the other unknown fields', () => {
    const text = JSON.stringify(exampleEvent(EventType.ProductViewed)).replace('"data":{', '"data":{"__proto__":{"polluted":2},');
    const result = parseEvent(JSON.parse(text));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.getPrototypeOf(result.event.data)).toBe(Object.prototype);
      expect((result.event.data as Record<string, unknown>).polluted).toBeUndefined();
    }
  });
});
