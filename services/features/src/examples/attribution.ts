import { EventType, type EventOfType, type StoreloopEvent, type TrainingExample } from '@storeloop/contracts';
import { DAY_MS, itemFeatureVector, MINUTE_MS, userFeatureVector, userItemFeatures } from '@storeloop/feature-store';
import { StoreloopError } from '@storeloop/observability';
import { z } from 'zod';
import { snapshotItem, snapshotUser, type FeatureSnapshot } from './feature-snapshot';

/**
 * A served recommendation awaiting its outcomes, with the features of the
 * user and of every served item as they were when it was served. One per
 * recommendation id, kept per user until both windows have closed.
 */
export interface ServedRecord {
  recommendationId: string;
  tenant: string;
  userId: string;
  /** Event time of the impression, ms since the epoch. */
  servedAt: number;
  modelName?: string;
  modelVersion: string;
  surface: string;
  /** Distinct SKUs served, each at its best (lowest) position. */
  items: { sku: string; position: number }[];
  userFeatures: Record<string, number>;
  /** Per SKU: `itemFeatureVector`. */
  itemFeatures: Record<string, Record<string, number>>;
  /** Per SKU: `userItemFeatures` (the `x.` names), which join `userFeatures` in an example. */
  crossFeatures: Record<string, Record<string, number>>;
  /** SKUs with a positive `served-click` (guards redelivery). */
  clicked: string[];
  /** SKUs with a positive `served-purchase`. */
  purchased: string[];
  /** True once the click window's negatives were emitted. */
  clickClosed: boolean;
}

export interface AttributionWindows {
  /** A click counts when at most this long after the impression (inclusive). */
  clickMs: number;
  /** A purchase counts when at most this long after the impression (inclusive). */
  purchaseMs: number;
  /** How long past a window's end the watermark must be before it is closed: room for late outcomes. */
  graceMs: number;
}

export const DEFAULT_ATTRIBUTION_WINDOWS: Readonly<AttributionWindows> = Object.freeze({
  clickMs: 30 * MINUTE_MS,
  purchaseMs: DAY_MS,
  graceMs: 5 * MINUTE_MS,
});

export function attributionWindows(overrides: Partial<AttributionWindows> = {}): AttributionWindows {
  const windows = { ...DEFAULT_ATTRIBUTION_WINDOWS, ...overrides };
  for (const [name, value] of Object.entries(windows)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`attribution window ${name} must be a non-negative number, got ${value}`);
  }
  // A record is deleted when the purchase window closes, so the click window must have closed by then.
  if (windows.clickMs > windows.purchaseMs) throw new RangeError('attribution window clickMs must not exceed purchaseMs');
  return windows;
}

export interface AttributionInput {
  /** The open records of the events' users, by recommendation id, as stored before the slice. */
  records: ReadonlyMap<string, ServedRecord>;
  /** The slice's served, clicked and order placed events, in partition order; other types are ignored. */
  events: readonly StoreloopEvent[];
  /** Newest event time the consuming partition has seen, including this slice; must never move back. */
  watermarkMs: number;
  /** Views read before the slice: the features of impressions served in it. */
  snapshot: FeatureSnapshot;
  windows?: Partial<AttributionWindows>;
  /**
   * Most open records kept per user (default: no limit). Past it the oldest
   * are closed at once, as if both windows had ended: their negatives now,
   * then deletion. It bounds what one slice reads and decodes for a user who
   * is served lists faster than the windows close (a crawler, a page that
   * refreshes itself).
   */
  maxOpenPerUser?: number;
}

export interface AttributionResult {
  examples: TrainingExample[];
  /** Records created or changed, to store. */
  upserts: ServedRecord[];
  /** Recommendation ids whose windows have both closed, to delete. */
  deletes: string[];
  /** The earliest window end (plus grace) among the records still open: the next call with a watermark past it closes a window. */
  nextDueMs: number | null;
  /** Records closed early because their user had more than `maxOpenPerUser` open (also in `deletes`). */
  evicted: number;
}

type ServedKind = 'served-click' | 'served-purchase';

const iso = (timeMs: number) => new Date(timeMs).toISOString();

function servedExample(record: ServedRecord, kind: ServedKind, sku: string, label: 0 | 1, eventTimeMs: number, sourceEventId?: string): TrainingExample {
  const position = record.items.find((item) => item.sku === sku)?.position;
  return {
    exampleId: `${record.recommendationId}:${kind}:${sku}`,
    userId: record.userId,
    sku,
    label,
    eventTime: iso(eventTimeMs),
    featureTime: iso(record.servedAt),
    userFeatures: { ...record.userFeatures, ...record.crossFeatures[sku] },
    itemFeatures: record.itemFeatures[sku] ?? {},
    kind,
    tenant: record.tenant,
    ...(sourceEventId === undefined ? {} : { sourceEventId }),
    recommendationId: record.recommendationId,
    ...(record.modelName === undefined ? {} : { modelName: record.modelName }),
    modelVersion: record.modelVersion,
    position,
    surface: record.surface,
  };
}

/** Label-0 examples for the served SKUs without an outcome, at the window's end. */
function negatives(record: ServedRecord, kind: ServedKind, withOutcome: readonly string[], windowEndMs: number): TrainingExample[] {
  return record.items.filter(({ sku }) => !withOutcome.includes(sku)).map(({ sku }) => servedExample(record, kind, sku, 0, windowEndMs));
}

function newRecord(event: EventOfType<typeof EventType.RecommendationServed>, snapshot: FeatureSnapshot): ServedRecord {
  const { data } = event;
  const bestPosition = new Map<string, number>();
  for (const { sku, position } of data.items) bestPosition.set(sku, Math.min(position, bestPosition.get(sku) ?? position));
  const items = [...bestPosition].map(([sku, position]) => ({ sku, position })).sort((a, b) => a.position - b.position);
  const user = snapshotUser(snapshot, event.tenant, data.userId);
  const itemFeatures: ServedRecord['itemFeatures'] = {};
  const crossFeatures: ServedRecord['crossFeatures'] = {};
  for (const { sku } of items) {
    const item = snapshotItem(snapshot, event.tenant, sku);
    itemFeatures[sku] = itemFeatureVector(item);
    crossFeatures[sku] = userItemFeatures(user, item);
  }
  return {
    recommendationId: data.recommendationId,
    tenant: event.tenant,
    userId: data.userId,
    servedAt: Date.parse(event.time),
    ...(data.modelName === undefined ? {} : { modelName: data.modelName }),
    modelVersion: data.modelVersion,
    surface: data.surface,
    items,
    userFeatures: userFeatureVector(user),
    itemFeatures,
    crossFeatures,
    clicked: [],
    purchased: [],
    clickClosed: false,
  };
}

const servesSku = (record: ServedRecord, sku: string) => record.items.some((item) => item.sku === sku);

/**
 * Joins served recommendations with their clicks and purchases, purely: the
 * caller loads the users' open records, passes the slice's events and stores
 * what comes back.
 *
 * - A click on a served SKU within `clickMs` of the impression (both ends
 *   inclusive) gives a positive `served-click`, the first time only.
 * - An order line whose SKU was served within `purchaseMs` before the order
 *   gives a positive `served-purchase` to the most recent such impression of
 *   the user only (last touch), the first time only.
 * - A `recommendation.purchased` event gives nothing: it is the shop's own
 *   attribution, kept for online conversion per model version; labels come
 *   from orders, the authoritative record, so a purchase reported both ways
 *   labels its SKU once.
 * - Once the watermark is past a window's end plus `graceMs`, every served SKU
 *   without that outcome gives a negative at the window's end; after the
 *   purchase window the record is deleted. So an outcome later than the grace
 *   counts for nothing, and each (recommendation, kind, SKU) gets one example.
 *
 * Outcomes for unknown recommendations (never seen, or already closed), of
 * another user, outside the window or before the impression give nothing. An
 * impression with no items is not kept. An impression whose purchase window
 * would already be closed by the watermark is ignored: it could not be
 * observed whole, and ignoring it keeps a redelivery after its deletion from
 * opening it again. With `clicked`, `purchased`, `clickClosed` and deletion as
 * guards, applying events again to the state that includes them gives no new
 * example, provided the watermark never moves back.
 */
export function attribute(input: AttributionInput): AttributionResult {
  const { snapshot, watermarkMs } = input;
  const { clickMs, purchaseMs, graceMs } = attributionWindows(input.windows);
  const open = new Map(input.records);
  const changed = new Set<string>();
  const examples: TrainingExample[] = [];
  const save = (record: ServedRecord) => {
    open.set(record.recommendationId, record);
    changed.add(record.recommendationId);
  };

  for (const event of input.events) {
    const timeMs = Date.parse(event.time);
    if (event.type === EventType.RecommendationServed) {
      const { recommendationId, items } = event.data;
      if (open.has(recommendationId) || items.length === 0 || watermarkMs > timeMs + purchaseMs + graceMs) continue;
      save(newRecord(event, snapshot));
    } else if (event.type === EventType.RecommendationClicked) {
      const { recommendationId, sku, userId } = event.data;
      const record = open.get(recommendationId);
      if (!record || record.tenant !== event.tenant || record.userId !== userId || record.clickClosed) continue;
      if (timeMs < record.servedAt || timeMs > record.servedAt + clickMs) continue;
      if (!servesSku(record, sku) || record.clicked.includes(sku)) continue;
      save({ ...record, clicked: [...record.clicked, sku] });
      examples.push(servedExample(record, 'served-click', sku, 1, timeMs, event.id));
    } else if (event.type === EventType.OrderPlaced) {
      const { userId } = event.data;
      for (const { sku } of event.data.items) {
        let lastTouch: ServedRecord | undefined;
        for (const record of open.values()) {
          if (record.tenant !== event.tenant || record.userId !== userId || !servesSku(record, sku)) continue;
          if (timeMs < record.servedAt || timeMs > record.servedAt + purchaseMs) continue;
          if (!lastTouch || record.servedAt > lastTouch.servedAt || (record.servedAt === lastTouch.servedAt && record.recommendationId > lastTouch.recommendationId)) {
            lastTouch = record;
          }
        }
        if (!lastTouch || lastTouch.purchased.includes(sku)) continue;
        save({ ...lastTouch, purchased: [...lastTouch.purchased, sku] });
        examples.push(servedExample(lastTouch, 'served-purchase', sku, 1, timeMs, event.id));
      }
    }
  }

  const deletes: string[] = [];
  /** The purchase window's negatives (and the click window's, if still open), then deletion. */
  const close = (record: ServedRecord) => {
    if (!record.clickClosed) examples.push(...negatives(record, 'served-click', record.clicked, record.servedAt + clickMs));
    examples.push(...negatives(record, 'served-purchase', record.purchased, record.servedAt + purchaseMs));
    open.delete(record.recommendationId);
    changed.delete(record.recommendationId);
    deletes.push(record.recommendationId);
  };
  const byServedAt = (a: ServedRecord, b: ServedRecord) => a.servedAt - b.servedAt || (a.recommendationId < b.recommendationId ? -1 : 1);
  for (let record of [...open.values()].sort(byServedAt)) {
    if (!record.clickClosed && watermarkMs > record.servedAt + clickMs + graceMs) {
      examples.push(...negatives(record, 'served-click', record.clicked, record.servedAt + clickMs));
      record = { ...record, clickClosed: true };
      save(record);
    }
    if (watermarkMs > record.servedAt + purchaseMs + graceMs) close(record);
  }

  // Past the per-user limit the oldest records close early. Deterministic (oldest first, ties by id), so a
  // redelivered slice, which re-creates only the slice's own records, evicts the same ones again.
  let evicted = 0;
  const maxOpen = input.maxOpenPerUser ?? Number.POSITIVE_INFINITY;
  if (!(maxOpen >= 1)) throw new RangeError(`maxOpenPerUser must be at least 1, got ${maxOpen}`);
  if (open.size > maxOpen) {
    const byUser = new Map<string, ServedRecord[]>();
    for (const record of open.values()) {
      const key = `${record.tenant}\u0000${record.userId}`;
      const records = byUser.get(key);
      if (records) records.push(record);
      else byUser.set(key, [record]);
    }
    for (const records of byUser.values()) {
      if (records.length <= maxOpen) continue;
      for (const record of records.sort(byServedAt).slice(0, records.length - maxOpen)) {
        close(record);
        evicted++;
      }
    }
  }

  const dueTimes = [...open.values()].map((record) => record.servedAt + (record.clickClosed ? purchaseMs : clickMs) + graceMs);
  return {
    examples,
    upserts: [...changed].map((id) => open.get(id) as ServedRecord),
    deletes,
    nextDueMs: dueTimes.length === 0 ? null : Math.min(...dueTimes),
    evicted,
  };
}

export const SERVED_RECORD_INVALID = 'FEATURES.SERVED_RECORD_INVALID';

/** Feature maps sharing one layout, stored as the names once and a row of values per SKU. */
const featureTable = z.object({ names: z.array(z.string()), rows: z.record(z.string(), z.array(z.number())) });

const storedServedRecord = z
  .object({
    recommendationId: z.string(),
    tenant: z.string(),
    userId: z.string(),
    servedAt: z.number(),
    modelName: z.string().optional(),
    modelVersion: z.string(),
    surface: z.string(),
    items: z.array(z.object({ sku: z.string(), position: z.number() })),
    clicked: z.array(z.string()),
    purchased: z.array(z.string()),
    clickClosed: z.boolean(),
    user: z.object({ names: z.array(z.string()), values: z.array(z.number()) }),
    item: featureTable,
    cross: featureTable,
  })
  .superRefine((stored, ctx) => {
    if (stored.user.values.length !== stored.user.names.length) ctx.addIssue({ code: 'custom', path: ['user'], message: 'one value per name' });
    for (const table of ['item', 'cross'] as const) {
      for (const [sku, row] of Object.entries(stored[table].rows)) {
        if (row.length !== stored[table].names.length) ctx.addIssue({ code: 'custom', path: [table, 'rows', sku], message: 'one value per name' });
      }
    }
  });

function toTable(features: Record<string, Record<string, number>>): z.output<typeof featureTable> {
  const first = Object.values(features)[0];
  const names = first === undefined ? [] : Object.keys(first);
  const rows = Object.fromEntries(Object.entries(features).map(([sku, values]) => [sku, names.map((name) => values[name] ?? 0)]));
  return { names, rows };
}

function fromTable({ names, rows }: z.output<typeof featureTable>): Record<string, Record<string, number>> {
  return Object.fromEntries(Object.entries(rows).map(([sku, row]) => [sku, Object.fromEntries(names.map((name, i) => [name, row[i]]))]));
}

/**
 * JSON of a record for Redis: the feature names are written once per record,
 * not once per SKU, which makes a 10-item list less than half the size of
 * `JSON.stringify`. The SKUs of a record share one feature layout (they come
 * from the same functions).
 */
export function encodeServedRecord(record: ServedRecord): string {
  const { userFeatures, itemFeatures, crossFeatures, ...rest } = record;
  const user = { names: Object.keys(userFeatures), values: Object.values(userFeatures) };
  return JSON.stringify({ ...rest, user, item: toTable(itemFeatures), cross: toTable(crossFeatures) });
}

/** Parses what `encodeServedRecord` wrote; throws a non-retriable `FEATURES.SERVED_RECORD_INVALID` for anything else. */
export function decodeServedRecord(text: string): ServedRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new StoreloopError(SERVED_RECORD_INVALID, 'served record is not JSON', { cause });
  }
  const parsed = storedServedRecord.safeParse(json);
  if (!parsed.success) throw new StoreloopError(SERVED_RECORD_INVALID, `served record is invalid: ${parsed.error.message}`, { cause: parsed.error });
  const { user, item, cross, ...rest } = parsed.data;
  return {
    ...rest,
    userFeatures: Object.fromEntries(user.names.map((name, i) => [name, user.values[i]])),
    itemFeatures: fromTable(item),
    crossFeatures: fromTable(cross),
  };
}
