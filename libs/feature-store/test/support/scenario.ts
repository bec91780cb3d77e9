import { EventType } from '@storeloop/contracts';
import { DAY_MS } from '../../src';
import { event, sourced } from './events';

/**
 * A small scenario whose views are computed by hand in the tests: user u1 on
 * partition 0, user u2 on partition 1, catalogue and stock on partition 2,
 * read as of T.
 */
export const T = Date.parse('2024-05-01T12:00:30.000Z');
export const iso = (ms: number) => new Date(ms).toISOString();

export const t0 = T - 7 * DAY_MS - 30_000; // 2024-04-24T12:00:00Z: in 30 d, not in 7 d
export const t1 = Date.parse('2024-05-01T11:00:59.000Z'); // in 24 h, not in 1 h (minute 11:00 is the 61st)
export const t2 = Date.parse('2024-05-01T11:01:00.000Z'); // in 1 h
export const t3 = Date.parse('2024-05-01T11:30:00.000Z');
export const t4 = Date.parse('2024-05-01T11:45:00.000Z');
export const countAt = Date.parse('2024-05-01T11:00:00.000Z');
export const receivedAt = Date.parse('2024-05-01T11:50:00.000Z');
export const u2OrderAt = Date.parse('2024-04-29T09:00:00.000Z');

export const shopper = (userId: string) => ({ userId, sessionId: 's', channel: 'web' as const });
export const catalogue = [
  sourced(
    2,
    0,
    event(EventType.CatalogItemUpserted, {
      time: '2024-04-01T00:00:00Z',
      data: { sku: 'A', categoryPath: ['Sports', 'Running', 'Shoes'], price: { amount: '89.90', currency: 'EUR' } },
    }),
  ),
];
export const u1 = [
  sourced(0, 0, event(EventType.ProductViewed, { time: iso(t0), data: { ...shopper('u1'), sku: 'A' } })),
  sourced(0, 1, event(EventType.ProductViewed, { time: iso(t1), data: { ...shopper('u1'), sku: 'A' } })),
  sourced(0, 2, event(EventType.ProductViewed, { time: iso(t2), data: { ...shopper('u1'), sku: 'B' } })),
  sourced(0, 3, event(EventType.CartItemAdded, { time: iso(t3), data: { ...shopper('u1'), sku: 'B', quantity: 2 } })),
  sourced(
    0,
    4,
    event(EventType.OrderPlaced, {
      time: iso(t4),
      data: {
        ...shopper('u1'),
        store: 'store-1',
        orderId: 'o-1',
        items: [
          { sku: 'B', quantity: 2, unitPrice: { amount: '19.99', currency: 'EUR' } },
          { sku: 'A', quantity: 1, unitPrice: { amount: '89.90', currency: 'EUR' } },
        ],
      },
    }),
  ),
];
export const u2 = [
  sourced(
    1,
    0,
    event(EventType.OrderPlaced, {
      time: iso(u2OrderAt),
      data: { ...shopper('u2'), store: 'store-1', orderId: 'o-2', items: [{ sku: 'A', quantity: 3, unitPrice: { amount: '80', currency: 'EUR' } }] },
    }),
  ),
];
export const stock = [
  sourced(
    2,
    1,
    event(EventType.InventorySnapshotTaken, {
      time: iso(countAt + 60_000),
      data: { sku: 'A', store: 'store-1', onHand: 10, onOrder: 5, asOf: iso(countAt) },
    }),
  ),
  sourced(2, 2, event(EventType.GoodsReceived, { time: iso(receivedAt), data: { sku: 'A', store: 'store-1', quantity: 5 } })),
];
export const everything = [...catalogue, ...u1, ...u2, ...stock];
