import { EventType, type EventInputOfType } from '@storeloop/contracts';
import type { CdnowPurchase } from '../datasets';

export type CdnowOrderEvent = EventInputOfType<typeof EventType.OrderPlaced>;

export interface CdnowReplayOptions {
  /** Makes event ids unique to one run (ingestion drops repeated ids). */
  runTag: string;
  /** The last purchase day lands on this day (UTC); every day keeps its distance to it. */
  endMs: number;
  /** Tenant of the events: CDNOW is another retailer than the MovieLens shop, so its customers and its one SKU stay apart. */
  tenant: string;
  source: string;
}

const DAY_MS = 86_400_000;
/** CDNOW records how many CDs and the amount, not which CDs: every line is this one SKU. */
export const CDNOW_SKU = 'cdnow-cd';
export const cdnowCustomerId = (customerId: string) => `cdnow-${customerId}`;

/**
 * CDNOW's purchases as the order events its web shop would have published:
 * one `order.placed` per file row (a customer's repeated identical rows are
 * separate orders, as in the file), quantity = CDs, unit price = amount / CDs
 * (0.00 for the few rows with no amount), at noon UTC of the purchase day
 * moved so that the last day is `endMs`'s day. Spacing between days is kept:
 * recency and frequency features mean what they meant in 1997–98.
 */
export function cdnowReplayEvents(purchases: readonly CdnowPurchase[], options: CdnowReplayOptions): CdnowOrderEvent[] {
  let last = -Infinity;
  for (const { date } of purchases) last = Math.max(last, Date.parse(`${date}T12:00:00Z`));
  const endNoon = Math.floor(options.endMs / DAY_MS) * DAY_MS + DAY_MS / 2;
  const shift = endNoon - last;
  return purchases.map((purchase, row): CdnowOrderEvent => {
    const quantity = Math.max(1, purchase.quantity);
    const orderId = `${options.runTag}-cdnow-${row + 1}`;
    return {
      specversion: '1.0',
      id: orderId,
      source: options.source,
      type: EventType.OrderPlaced,
      tenant: options.tenant,
      time: new Date(Date.parse(`${purchase.date}T12:00:00Z`) + shift).toISOString(),
      data: {
        userId: cdnowCustomerId(purchase.customerId),
        channel: 'web',
        orderId,
        items: [{ sku: CDNOW_SKU, quantity, unitPrice: { amount: (purchase.amount / quantity).toFixed(2), currency: 'USD' } }],
      },
    };
  });
}
