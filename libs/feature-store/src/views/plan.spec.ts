import { EventType, exampleEvent, parseEvent, type EventTypeName, type ExampleEventOverrides, type StoreloopEvent } from '@storeloop/contracts';
import { itemKeys, skuStoreKeys, userKeys } from './keys';
import { orderBatch, planBatch, type BatchContext, type EntityOp, type EntityUpdate, type SourcedEvent } from './plan';
import { featureSettings, MINUTE_MS } from './settings';
import { hashSlot } from './slots';

const TOPIC = 'retail.events.v1';
const settings = featureSettings();

function event<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T> = {}): StoreloopEvent {
  const parsed = parseEvent(exampleEvent(type, overrides));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}

function sourced(offset: number | string, e: StoreloopEvent, partition = 0): SourcedEvent {
  return { event: e, topic: TOPIC, partition, offset: String(offset) };
}

const emptyContext = (): BatchContext => ({ users: new Map(), categories: new Map(), erasedUsers: new Set() });

function updateOf(updates: EntityUpdate[], main: string): EntityUpdate {
  const update = updates.find(({ keys }) => keys[0] === main);
  if (!update) throw new Error(`no update for ${main}`);
  return update;
}

const opsOf = (update: EntityUpdate): EntityOp[] => update.groups.flatMap(([, , ops]) => ops);
const user = userKeys('default', 'user-1001');

describe('orderBatch', () => {
  it('orders each partition by numeric offset, drops repeats and canonicalises offsets', () => {
    const view = event(EventType.ProductViewed);
    const batch = [sourced('10', view), sourced('9', view, 1), sourced('9', view), sourced('009', view), sourced('007', view)];
    expect(orderBatch(batch).map(({ partition, offset }) => `${partition}@${offset}`)).toEqual(['0@7', '0@9', '0@10', '1@9']);
  });

  it.each(['-1', '1.5', '', 'x'])('rejects offset %p', (offset) => {
    expect(() => orderBatch([sourced(offset, event(EventType.ProductViewed))])).toThrow(RangeError);
  });
});

describe('planBatch', () => {
  it('plans a view: user counters, session, recent items, and item popularity', () => {
    const plan = planBatch(orderBatch([sourced(4, event(EventType.ProductViewed))]), emptyContext(), settings);
    const t = Date.parse('2024-05-01T10:15:30.000Z');
    expect(plan.users).toHaveLength(1);
    const update = plan.users[0];
    expect(update.keys).toEqual([user.main, user.windows, user.session, user.sessionViews, user.recent]);
    expect(update.ttlMs).toBe(settings.userTtlMs);
    expect(update.groups).toEqual([
      [
        `${TOPIC}:0`,
        '4',
        [
          ['win', 2, 'v', t, 1, 'm', MINUTE_MS, 60, 'h', 60 * MINUTE_MS, 24, 'd', 24 * 60 * MINUTE_MS, 30],
          ['decay', 1, 'd|v', t, settings.activityHalfLifeMs, 1],
          ['del', 3],
          ['del', 4],
          ['hset', 1, 'ss', t, 'sl', t, 'sn', 1],
          ['lpushdistinct', 3, 'SKU-123', 50],
          ['lpushdistinct', 4, 'SKU-123', 20],
          ['lpush', 5, `v|${t}|SKU-123`, 50],
        ],
      ],
    ]);
    expect(opsOf(updateOf(plan.items, itemKeys('default', 'SKU-123').main))).toEqual([
      ['hincr', 1, 'n|v', 1],
      ['decay', 1, 'p|v', t, settings.popularityHalfLifeMs, 1],
    ]);
    expect(plan.nextOffsets).toEqual(new Map([[TOPIC, new Map([[0, '5']])]]));
  });

  it('pairs a first view with the items viewed earlier in the open session (co-view), both ways', () => {
    const context = emptyContext();
    const t = Date.parse('2024-05-01T10:15:30.000Z');
    const session = { startedAtMs: t - 20 * MINUTE_MS, lastEventAtMs: t - 5 * MINUTE_MS, events: 2, viewedSkus: ['SKU-9', 'SKU-8'] };
    context.users.set(user.main, { guards: new Map(), session });
    const plan = planBatch(orderBatch([sourced(4, event(EventType.ProductViewed))]), context, settings);
    const coView = (sku: string) => opsOf(updateOf(plan.items, itemKeys('default', sku).main)).filter(([name]) => name === 'zdecay');
    expect(coView('SKU-123').map((op) => op[2])).toEqual(['SKU-9', 'SKU-8']);
    expect(coView('SKU-9')).toEqual([['zdecay', 2, 'SKU-123', t, 1, settings.neighbourHalfLifeMs, 100, 'L|cv']]);
    expect(updateOf(plan.items, itemKeys('default', 'SKU-9').main).keys).toEqual([itemKeys('default', 'SKU-9').main, itemKeys('default', 'SKU-9').coViewed]);
    // The session continues: no reset, and its counters move on.
    expect(opsOf(plan.users[0])).toContainEqual(['hset', 1, 'ss', t - 20 * MINUTE_MS, 'sl', t, 'sn', 3]);
    expect(opsOf(plan.users[0]).filter(([name]) => name === 'del')).toEqual([]);
  });

  it('leaves out events its user already has (offset guard) but still advances the offset', () => {
    const context = emptyContext();
    context.users.set(user.main, { guards: new Map([[`${TOPIC}:0`, '5']]) });
    const view = event(EventType.ProductViewed);
    const plan = planBatch(orderBatch([sourced(4, view), sourced(5, view), sourced(6, view)]), context, settings);
    expect(plan.users[0].groups.map(([, offset]) => offset)).toEqual(['6']);
    expect(updateOf(plan.items, itemKeys('default', 'SKU-123').main).groups.map(([, offset]) => offset)).toEqual(['6']);
    expect(plan.skippedEvents).toBe(2);
    expect(plan.nextOffsets.get(TOPIC)?.get(0)).toBe('7');
  });

  it('skips every event of an erased user, and an erasure request drops what the batch planned for the user', () => {
    const context = emptyContext();
    context.erasedUsers.add(userKeys('default', 'gone').main);
    const plan = planBatch(
      orderBatch([
        sourced(1, event(EventType.ProductViewed, { data: { userId: 'gone' } })),
        sourced(2, event(EventType.ProductViewed)),
        sourced(3, event(EventType.UserErasureRequested)),
        sourced(4, event(EventType.CartItemAdded)),
      ]),
      context,
      settings,
    );
    expect(plan.users).toEqual([]);
    expect(plan.erasures).toEqual([{ tenant: 'default', userId: 'user-1001' }]);
    expect(plan.skippedEvents).toBe(2);
    // The item keeps the aggregate of the view made before the erasure.
    expect(updateOf(plan.items, itemKeys('default', 'SKU-123').main).groups.map(([, offset]) => offset)).toEqual(['2']);
  });

  it('credits the category of the item and its ancestors, using a catalogue change earlier in the batch', () => {
    const context = emptyContext();
    context.categories.set(itemKeys('default', 'SKU-123').main, ['Old']);
    const plan = planBatch(
      orderBatch([
        sourced(1, event(EventType.ProductViewed)),
        sourced(2, event(EventType.CatalogItemUpserted, { data: { categoryPath: ['Sports', 'Running'] } })),
        sourced(3, event(EventType.CartItemAdded)),
      ]),
      context,
      settings,
    );
    const affinity = plan.users[0].groups.map(([, offset, ops]) => [offset, ops.filter(([name]) => name === 'zdecay').map((op) => [op[2], op[4]])]);
    expect(affinity).toEqual([
      ['1', [['["Old"]', 1]]],
      ['3', [['["Sports"]', 3], ['["Sports","Running"]', 3]]],
    ]);
  });

  it('starts a new session after the gap', () => {
    const context = emptyContext();
    const t = Date.parse('2024-05-01T10:15:30.000Z');
    const session = { startedAtMs: t - 3 * 60 * MINUTE_MS, lastEventAtMs: t - 31 * MINUTE_MS, events: 9, viewedSkus: ['SKU-9'] };
    context.users.set(user.main, { guards: new Map(), session });
    const plan = planBatch(orderBatch([sourced(1, event(EventType.ProductViewed))]), context, settings);
    expect(opsOf(plan.users[0])).toEqual(expect.arrayContaining([['del', 3], ['del', 4], ['hset', 1, 'ss', t, 'sl', t, 'sn', 1]]));
    expect(plan.items).toHaveLength(1);
  });

  it('plans an order: RFM in exact money units, co-purchase pairs, and store sales', () => {
    const order = event(EventType.OrderPlaced);
    const t = Date.parse(order.time);
    const plan = planBatch(orderBatch([sourced(3, order)]), emptyContext(), settings);
    expect(opsOf(plan.users[0])).toEqual(
      expect.arrayContaining([
        ['hincr', 1, 'rfm|n', 1],
        ['hincr', 1, 'rfm|m|EUR', '334900'],
        ['hmax', 1, 'rfm|last', t],
        ['hmin', 1, 'rfm|first', t],
      ]),
    );
    const sku = itemKeys('default', 'SKU-456');
    const stock = skuStoreKeys('default', 'SKU-456', 'store-0042');
    const update = updateOf(plan.items, sku.main);
    expect(update.keys).toEqual([sku.main, stock.stock, stock.movements, sku.availability, sku.coPurchased]);
    expect(opsOf(update)).toEqual([
      ['hincr', 1, 'n|o', 1],
      ['decay', 1, 'p|o', t, settings.popularityHalfLifeMs, 1],
      ['hincr', 1, 'n|u', 3],
      ['decay', 1, 'p|u', t, settings.popularityHalfLifeMs, 3],
      ['win', 2, 'u', t, 3, 'd', 24 * 60 * MINUTE_MS, 400],
      ['stockmove', 2, 3, 4, 'store-0042', `out:3:${TOPIC}:0/3/1`, 'out', 3, t],
      ['zdecay', 5, 'SKU-123', t, 1, settings.neighbourHalfLifeMs, 100, 'L|cp'],
    ]);
  });

  it('keeps stock out of it when the order names no store', () => {
    const order = event(EventType.OrderPlaced, { data: { store: undefined } });
    const plan = planBatch(orderBatch([sourced(3, order)]), emptyContext(), settings);
    const sku = itemKeys('default', 'SKU-456');
    expect(updateOf(plan.items, sku.main).keys).toEqual([sku.main, sku.coPurchased]);
  });

  it('plans nothing for a recommendation purchase but still advances its offset', () => {
    const plan = planBatch(orderBatch([sourced(12, event(EventType.RecommendationPurchased), 3)]), emptyContext(), settings);
    expect(plan.users).toEqual([]);
    expect(plan.items).toEqual([]);
    expect(plan.nextOffsets).toEqual(new Map([[TOPIC, new Map([[3, '13']])]]));
  });

  it('keeps every script call on one cluster slot', () => {
    const users = ['user-1', 'a{b}', '}', 'ü'];
    const skus = ['SKU-1', 'x{y}', '{', 'ß'];
    const line = { sku: '', quantity: 1, unitPrice: { amount: '1.00', currency: 'EUR' } };
    const events: SourcedEvent[] = [];
    let offset = 0;
    for (const userId of users) {
      for (const sku of skus) {
        events.push(
          sourced(offset++, event(EventType.ProductViewed, { data: { userId, sku } })),
          sourced(offset++, event(EventType.CartItemAdded, { data: { userId, sku } })),
          sourced(offset++, event(EventType.RecommendationClicked, { data: { userId, sku } })),
          sourced(offset++, event(EventType.OrderPlaced, { data: { userId, store: `{${sku}}`, items: skus.map((s) => ({ ...line, sku: s })) } })),
          sourced(offset++, event(EventType.InventorySnapshotTaken, { data: { sku, store: userId } }), 2),
          sourced(offset++, event(EventType.GoodsReceived, { data: { sku, store: userId } }), 2),
          sourced(offset++, event(EventType.CatalogItemUpserted, { data: { sku } }), 3),
        );
      }
    }
    const plan = planBatch(orderBatch(events), emptyContext(), settings);
    const updates = [...plan.items, ...plan.users];
    expect(updates.length).toBe(users.length + skus.length);
    for (const update of updates) expect(new Set(update.keys.map(hashSlot)).size).toBe(1);
  });
});
