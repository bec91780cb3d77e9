import { EventType, parseEvent } from '@storeloop/contracts';
import { loadCdnowPurchases, loadM5Calendar, loadM5Prices, loadM5Sales, type M5Series } from '../datasets';
import { CDNOW_SKU, cdnowReplayEvents } from './cdnow-replay';
import { m5ReplayEvents, m5Sku } from './m5-replay';

const END = Date.UTC(2026, 10, 29, 9, 30);
const DAY = 86_400_000;

describe('cdnowReplayEvents (real CDNOW)', () => {
  it('gives one valid order per row, the last purchase day on the end day, spacing kept, in the given tenant', async () => {
    const purchases = await loadCdnowPurchases();
    const events = cdnowReplayEvents(purchases, { runTag: 'unit', endMs: END, tenant: 'cdnow', source: '/unit' });
    expect(events).toHaveLength(purchases.length);
    for (const event of events.slice(0, 2000)) expect(parseEvent(event)).toMatchObject({ ok: true });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const times = events.map((e) => Date.parse(e.time as string));
    expect(times.reduce((a, b) => Math.max(a, b))).toBe(Date.UTC(2026, 10, 29, 12));
    // 1997-01-01 is 545 days before 1998-06-30, the file's last day.
    expect(times.reduce((a, b) => Math.min(a, b))).toBe(Date.UTC(2026, 10, 29, 12) - 545 * DAY);
    const row = purchases.findIndex((p) => p.quantity > 1 && p.amount > 0);
    expect(events[row].data.items[0]).toEqual({ sku: CDNOW_SKU, quantity: purchases[row].quantity, unitPrice: { amount: (purchases[row].amount / purchases[row].quantity).toFixed(2), currency: 'USD' } });
    expect(events.every((e) => e.tenant === 'cdnow')).toBe(true);
  });
});

describe('m5ReplayEvents', () => {
  const series = (units: number[]): M5Series => ({ id: 'X_1_001_CA_1', itemId: 'X_1_001', deptId: 'X_1', catId: 'X', storeId: 'CA_1', stateId: 'CA', units: Int32Array.from(units) });

  it('turns sale days into pos orders and synthesises weekly deliveries up to the cover level, counted after delivery', () => {
    // 14 days, 2 units a day except day 3 (index 2) with none: mean over the 14 days 13/7, cover 7 days -> 13 units.
    const units = Array.from({ length: 14 }, (_, day) => (day === 2 ? 0 : 2));
    const events = m5ReplayEvents([series(units)], [], [], { runTag: 'u', endMs: END, days: 14, tenant: 'm5', source: '/unit', coverDays: 7 });
    for (const event of events) expect(parseEvent(event)).toMatchObject({ ok: true });
    const sales = events.filter((e) => e.type === EventType.OrderPlaced);
    expect(sales).toHaveLength(13);
    expect(sales[0].data).toMatchObject({ store: 'CA_1', channel: 'pos', items: [{ sku: m5Sku('X_1_001'), quantity: 2, unitPrice: { amount: '1.00' } }] });
    // The last day replayed is yesterday.
    expect(sales.at(-1)!.time).toBe(new Date(Date.UTC(2026, 10, 28, 12)).toISOString());
    const counts = events.filter((e) => e.type === EventType.InventorySnapshotTaken).map((e) => e.data as { onHand: number });
    expect(counts.map((c) => c.onHand)).toEqual([13, 13]);
    // First week sold 2*6 = 12 of 13: the second delivery brings 12.
    const receipts = events.filter((e) => e.type === EventType.GoodsReceived).map((e) => (e.data as { quantity: number }).quantity);
    expect(receipts).toEqual([12]);
    const times = events.map((e) => Date.parse(e.time as string));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('replays the newest days of the real m5-tiny subset as valid events with shelf prices', async () => {
    const [sales, calendar, prices] = await Promise.all([loadM5Sales(), loadM5Calendar(), loadM5Prices()]);
    const events = m5ReplayEvents(sales.slice(0, 20), calendar, prices, { runTag: 'u', endMs: END, days: 30, tenant: 'm5', source: '/unit' });
    for (const event of events) expect(parseEvent(event)).toMatchObject({ ok: true });
    const expectedSales = sales.slice(0, 20).reduce((n, s) => n + s.units.slice(-30).filter((u) => u > 0).length, 0);
    expect(events.filter((e) => e.type === EventType.OrderPlaced)).toHaveLength(expectedSales);
    expect(events.filter((e) => e.type === EventType.OrderPlaced).some((e) => (e.data as { items: { unitPrice: { amount: string } }[] }).items[0].unitPrice.amount !== '1.00')).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});
