// Realistic retail events from the real datasets (../shared/data or
// STORELOOP_DATA_DIR), as company systems would send them: CloudEvents 1.0
// structured JSON, input form of libs/contracts.
//
//   MovieLens-100K  web shop clickstream: every rating is a product view at its
//                   timestamp; ratings >= 3 also put the film in the cart
//                   (45 s later), ratings >= 4 buy it (3 min later).
//   CDNOW           web orders: one order per purchase line of the master
//                   file, the dollar value split exactly over the CDs as
//                   decimal money (cents, no float rounding).
//   M5 (subset)     stores: each day's positive unit sales of an item at a
//                   store is a POS order at the week's shelf price; a weekly
//                   base-stock policy simulated on those sales yields
//                   inventory snapshots and goods receipts.
//
// Events are returned without ids: `serializeEvent` adds them, so each phase
// of a bench can give the same events its own unique ids.
import { require } from './lib.mjs';

const datasets = () => require('@storeloop/testing/dist/datasets');

const iso = (ms) => new Date(ms).toISOString();
const DAY_MS = 86_400_000;

/** Deterministic 32-bit hash (FNV-1a), for stable pseudo-random choices. */
export function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const cents = (n) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

function event(type, source, timeMs, data, extra = {}) {
  return { specversion: '1.0', source, type, time: iso(timeMs), tenant: 'default', ...extra, data };
}

/** Web-shop clickstream from MovieLens ratings. Film prices follow the release year (DVD list prices). */
export async function movieLensEvents(EventType) {
  const { loadMovieLensInteractions, loadMovieLensItems } = datasets();
  const [ratings, items] = await Promise.all([loadMovieLensInteractions(), loadMovieLensItems()]);
  const price = new Map(
    items.map((item) => {
      const base = item.year === null ? 799 : item.year >= 1997 ? 1999 : item.year >= 1990 ? 1499 : item.year >= 1970 ? 999 : 799;
      return [item.id, cents(base + (hash(item.id) % 5) * 100)];
    }),
  );
  ratings.sort((a, b) => a.timestamp - b.timestamp);
  const out = [];
  for (const r of ratings) {
    const ms = r.timestamp * 1000;
    const userId = `ml-user-${r.userId}`;
    const sessionId = `ml-s-${r.userId}-${Math.floor(ms / DAY_MS)}`;
    const sku = `ML-${r.itemId.padStart(5, '0')}`;
    const unitPrice = { amount: price.get(r.itemId) ?? '9.99', currency: 'USD' };
    const shopper = { userId, sessionId, channel: 'web' };
    out.push(event(EventType.ProductViewed, '/web-shop', ms, { ...shopper, sku }, { subject: sku }));
    if (r.rating >= 3) out.push(event(EventType.CartItemAdded, '/web-shop', ms + 45_000, { ...shopper, sku, quantity: 1, unitPrice }));
    if (r.rating >= 4) {
      out.push(
        event(EventType.OrderPlaced, '/web-shop', ms + 180_000, {
          ...shopper,
          orderId: `ml-o-${r.userId}-${r.itemId}`,
          items: [{ sku, quantity: 1, unitPrice }],
        }),
      );
    }
  }
  return out;
}

/** CDNOW purchases as web orders; the amount is split over the CDs so the lines sum exactly to it. */
export async function cdnowEvents(EventType) {
  const { loadCdnowPurchases } = datasets();
  const purchases = await loadCdnowPurchases();
  return purchases.map((p, index) => {
    const total = Math.round(p.amount * 100);
    const unit = Math.floor(total / p.quantity);
    const extra = total - unit * p.quantity; // CDs that cost one cent more
    const skuOf = (k) => `CD-${String((hash(`${p.customerId}/${index}/${k}`) % 20_000) + 1).padStart(5, '0')}`;
    // extra < quantity, so the first line always holds at least one CD.
    const items = [{ sku: skuOf(0), quantity: p.quantity - extra, unitPrice: { amount: cents(unit), currency: 'USD' } }];
    if (extra > 0) items.push({ sku: skuOf(1), quantity: extra, unitPrice: { amount: cents(unit + 1), currency: 'USD' } });
    const minute = hash(`${p.customerId}${index}`) % (14 * 60);
    const ms = Date.parse(`${p.date}T08:00:00Z`) + minute * 60_000;
    return event(EventType.OrderPlaced, '/cdnow-orders', ms, {
      userId: `cdnow-${p.customerId}`,
      channel: 'web',
      orderId: `cdnow-${index + 1}`,
      items,
    });
  });
}

/**
 * M5 stores: POS orders from daily unit sales at the week's price, and a
 * weekly review of a base-stock policy (order up to two weeks of mean demand
 * when below one week, delivered three days later) giving inventory snapshots
 * and goods receipts.
 */
export async function m5Events(EventType) {
  const { loadM5Sales, loadM5Calendar, loadM5Prices } = datasets();
  const [series, calendar, prices] = await Promise.all([loadM5Sales(), loadM5Calendar(), loadM5Prices()]);
  const priceOf = new Map(prices.map((p) => [`${p.storeId}|${p.itemId}|${p.wmYrWk}`, p.price]));
  const dayMs = calendar.map((d) => Date.parse(`${d.date}T00:00:00Z`));
  const out = [];
  for (const s of series) {
    const days = Math.min(s.units.length, calendar.length);
    let sum = 0;
    for (let j = 0; j < days; j++) sum += s.units[j];
    const mean = sum / days;
    const orderUpTo = Math.ceil(mean * 14) + 4;
    const reorderPoint = Math.ceil(mean * 7);
    let onHand = orderUpTo;
    let pending = null; // { arrives: day index, quantity, po }
    const key = `${s.itemId}@${s.storeId}`;
    for (let j = 0; j < days; j++) {
      const date = dayMs[j];
      if (pending && pending.arrives === j) {
        onHand += pending.quantity;
        out.push(
          event(EventType.GoodsReceived, '/wms', date + 9 * 3_600_000, {
            sku: s.itemId,
            store: s.storeId,
            quantity: pending.quantity,
            purchaseOrderId: pending.po,
          }, { subject: key }),
        );
        pending = null;
      }
      const units = s.units[j];
      const price = priceOf.get(`${s.storeId}|${s.itemId}|${calendar[j].wmYrWk}`);
      if (units > 0 && price !== undefined) {
        out.push(
          event(EventType.OrderPlaced, `/pos/${s.storeId}`, date + 20 * 3_600_000 + (hash(`${key}${j}`) % 3_600) * 1000, {
            userId: `pos-guest-${s.storeId}-${calendar[j].d}`,
            channel: 'pos',
            store: s.storeId,
            orderId: `m5-${s.storeId}-${calendar[j].d}-${s.itemId}`,
            items: [{ sku: s.itemId, quantity: units, unitPrice: { amount: price.toFixed(2), currency: 'USD' } }],
          }),
        );
      }
      onHand = Math.max(0, onHand - units);
      if (j % 7 === 6) {
        out.push(
          event(EventType.InventorySnapshotTaken, '/wms', date + 23 * 3_600_000, {
            sku: s.itemId,
            store: s.storeId,
            onHand,
            onOrder: pending?.quantity ?? 0,
            asOf: iso(date + 22 * 3_600_000),
          }, { subject: key }),
        );
        if (!pending && onHand < reorderPoint && orderUpTo - onHand > 0) {
          pending = { arrives: j + 3, quantity: orderUpTo - onHand, po: `po-${s.storeId}-${s.itemId}-${calendar[j].d}` };
        }
      }
    }
  }
  out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return out;
}

/** All three sources: { name, events }[] (each in time order). */
export async function datasetStreams() {
  const { EventType } = require('@storeloop/contracts');
  const [movielens, cdnow, m5] = await Promise.all([movieLensEvents(EventType), cdnowEvents(EventType), m5Events(EventType)]);
  return [
    { name: 'movielens', events: movielens },
    { name: 'cdnow', events: cdnow },
    { name: 'm5', events: m5 },
  ];
}

/** The event as JSON with `id` first after specversion (ids are what a bench rewrites per generation). */
export function serializeEvent(event, id) {
  return JSON.stringify({ specversion: event.specversion, id, ...event });
}

/**
 * Cuts each stream into batches of `size` events and interleaves the batches
 * of all streams in proportion (a busy web shop and a few stores posting at
 * once), so any window of batches holds every source.
 */
export function interleavedBatches(streams, size) {
  const tagged = [];
  for (const { name, events } of streams) {
    const n = Math.floor(events.length / size);
    for (let k = 0; k < n; k++) tagged.push({ name, events: events.slice(k * size, (k + 1) * size), order: (k + 0.5) / n });
  }
  tagged.sort((a, b) => a.order - b.order);
  return tagged;
}

/** Checks a spread sample (every `every`-th event and the first of each type) with the contracts' parseEvent. */
export function validateSample(streams, every = 97) {
  const { parseEvent } = require('@storeloop/contracts');
  const byType = new Map();
  let checked = 0;
  for (const { name, events } of streams) {
    events.forEach((e, i) => {
      const firstOfType = !byType.has(e.type);
      if (!firstOfType && i % every !== 0) return;
      const result = parseEvent(JSON.parse(serializeEvent(e, `sample-${name}-${i}`)));
      checked++;
      if (!result.ok) {
        throw new Error(`generated ${name} event ${i} (${e.type}) is invalid: ${JSON.stringify(result.issues)}\n${serializeEvent(e, 'x')}`);
      }
      byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    });
  }
  return { checked, types: Object.fromEntries(byType) };
}

/** Count of events per type over all streams. */
export function typeCounts(streams) {
  const counts = {};
  for (const { events } of streams) for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}
