import { EventType, type EventInputOfType } from '@storeloop/contracts';
import type { M5CalendarDay, M5Price, M5Series } from '../datasets';

export type M5ReplayEvent =
  | EventInputOfType<typeof EventType.OrderPlaced>
  | EventInputOfType<typeof EventType.InventorySnapshotTaken>
  | EventInputOfType<typeof EventType.GoodsReceived>;

export interface M5ReplayOptions {
  runTag: string;
  /** The last M5 day replayed lands on the day before this instant (UTC): today is not over yet. */
  endMs: number;
  /** How many of the newest M5 days to replay. */
  days: number;
  /** The stores' tenant (the replenishment service's REPLENISHMENT_TENANT). */
  tenant: string;
  source: string;
  /** Days of average demand the synthetic weekly delivery fills stock up to (M5 has no stock figures). */
  coverDays?: number;
}

const DAY_MS = 86_400_000;
export const m5Sku = (itemId: string) => `m5-${itemId}`;
/** Till sales have no customer: one walk-in shopper per store. */
export const m5WalkInUser = (storeId: string) => `m5-walk-in-${storeId}`;

/**
 * The last `days` of each M5 series as a store's events, in time order:
 * - every day with sales: one `order.placed` (channel `pos`, the store, the
 *   item, the units sold, the week's shelf price or 1.00 where M5 has none);
 * - stock, which M5 does not record, synthesised by a weekly order-up-to
 *   delivery: every 7th day a `goods-received` tops on-hand up to
 *   `coverDays` of the series' mean daily sales over the replayed days, and an
 *   `inventory.snapshot-taken` reports the count after it; on-hand falls by
 *   the day's sales (not below 0: the sales are the truth, the stock a sketch).
 * Days map to noon UTC (orders), 06:00 (deliveries) and 06:05 (counts).
 */
export function m5ReplayEvents(
  series: readonly M5Series[],
  calendar: readonly M5CalendarDay[],
  prices: readonly M5Price[],
  options: M5ReplayOptions,
): M5ReplayEvent[] {
  const length = series[0]?.units.length ?? 0;
  const days = Math.min(options.days, length);
  const first = length - days;
  const coverDays = options.coverDays ?? 10;
  const lastDayStart = Math.floor(options.endMs / DAY_MS) * DAY_MS - DAY_MS;
  const dayStart = (day: number) => lastDayStart - (length - 1 - day) * DAY_MS;
  const priceOf = new Map(prices.map((p) => [`${p.storeId}\u0000${p.itemId}\u0000${p.wmYrWk}`, p.price]));
  const events: M5ReplayEvent[] = [];
  const base = { specversion: '1.0' as const, source: options.source, tenant: options.tenant };

  for (const s of series) {
    const sku = m5Sku(s.itemId);
    let sold = 0;
    for (let day = first; day < length; day += 1) sold += s.units[day];
    const orderUpTo = Math.max(1, Math.ceil((sold / days) * coverDays));
    let onHand = orderUpTo;
    for (let day = first; day < length; day += 1) {
      const start = dayStart(day);
      const tag = `${options.runTag}-m5-${s.storeId}-${s.itemId}-${day + 1}`;
      if ((day - first) % 7 === 0) {
        const delivered = orderUpTo - onHand;
        if (delivered > 0) {
          events.push({ ...base, id: `${tag}-receipt`, type: EventType.GoodsReceived, time: new Date(start + 6 * 3_600_000).toISOString(), data: { sku, store: s.storeId, quantity: delivered, purchaseOrderId: `${tag}-po` } });
        }
        onHand = orderUpTo;
        const countTime = new Date(start + 6 * 3_600_000 + 5 * 60_000).toISOString();
        events.push({ ...base, id: `${tag}-count`, type: EventType.InventorySnapshotTaken, time: countTime, data: { sku, store: s.storeId, onHand, onOrder: 0, asOf: countTime } });
      }
      const units = s.units[day];
      if (units > 0) {
        const week = calendar[day]?.wmYrWk;
        const price = week === undefined ? undefined : priceOf.get(`${s.storeId}\u0000${s.itemId}\u0000${week}`);
        events.push({
          ...base,
          id: `${tag}-sale`,
          type: EventType.OrderPlaced,
          time: new Date(start + 12 * 3_600_000).toISOString(),
          data: {
            userId: m5WalkInUser(s.storeId),
            store: s.storeId,
            channel: 'pos',
            orderId: `${tag}-sale`,
            items: [{ sku, quantity: units, unitPrice: { amount: (price ?? 1).toFixed(2), currency: 'USD' } }],
          },
        });
        onHand = Math.max(0, onHand - units);
      }
    }
  }
  events.sort((a, b) => Date.parse(a.time as string) - Date.parse(b.time as string));
  return events;
}
