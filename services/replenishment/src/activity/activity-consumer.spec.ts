import { EventType, exampleEvent, parseEvent, type StoreloopEvent } from '@storeloop/contracts';
import { activityOf, pairsOfEvent } from './activity-consumer';

function event(input: unknown): StoreloopEvent {
  const result = parseEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}

const order = (store: string | undefined, time: string, tenant = 'default') =>
  event(
    exampleEvent(EventType.OrderPlaced, {
      time,
      tenant,
      data: {
        store,
        items: [
          { sku: 'A', quantity: 2, unitPrice: { amount: '1.00', currency: 'EUR' } },
          { sku: 'B', quantity: 1, unitPrice: { amount: '2.00', currency: 'EUR' } },
        ],
      },
    }),
  );

describe('pairs an event shows activity on', () => {
  it('takes every line of an order placed in a store', () => {
    expect(pairsOfEvent(order('S1', '2024-05-01T10:00:00Z'))).toEqual([
      { sku: 'A', store: 'S1' },
      { sku: 'B', store: 'S1' },
    ]);
  });

  it('skips orders without a store and events that say nothing about stock', () => {
    expect(pairsOfEvent(order(undefined, '2024-05-01T10:00:00Z'))).toEqual([]);
    expect(pairsOfEvent(event(exampleEvent(EventType.ProductViewed)))).toEqual([]);
  });

  it('takes the pair of stock counts and receipts', () => {
    const count = event(exampleEvent(EventType.InventorySnapshotTaken, { data: { sku: 'C', store: 'S2' } }));
    const receipt = event(exampleEvent(EventType.GoodsReceived, { data: { sku: 'D', store: 'S3' } }));
    expect(pairsOfEvent(count)).toEqual([{ sku: 'C', store: 'S2' }]);
    expect(pairsOfEvent(receipt)).toEqual([{ sku: 'D', store: 'S3' }]);
  });

  it('keeps the newest event time and the last offset per pair, for the configured tenant only', () => {
    const active = activityOf(
      [
        { value: order('S1', '2024-05-01T12:00:00Z'), offset: '10' },
        { value: order('S1', '2024-05-01T10:00:00Z'), offset: '11' },
        { value: order('S9', '2024-05-01T11:00:00Z', 'other'), offset: '12' },
      ],
      'default',
    );
    expect([...active.values()]).toEqual([
      { pair: { sku: 'A', store: 'S1' }, atMs: Date.parse('2024-05-01T12:00:00Z'), offset: 11n },
      { pair: { sku: 'B', store: 'S1' }, atMs: Date.parse('2024-05-01T12:00:00Z'), offset: 11n },
    ]);
  });
});
