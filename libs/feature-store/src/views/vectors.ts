import type { ItemFeatureView, UserFeatureView } from './read-views';
import { ACTIVITY_WINDOWS, DAY_MS, ITEM_ACTIVITIES, USER_ACTIVITIES, type ActivityWindow } from './settings';

/**
 * Flat numeric feature vectors of the views, for training examples and model
 * inputs. Training and inference build tensors from the name lists below, in
 * their order; bump `FEATURE_VECTOR_VERSION` whenever a name is added,
 * removed, reordered or changes meaning, so a model trained on one layout is
 * never fed another.
 */
export const FEATURE_VECTOR_VERSION = 1;

/** Stands for "never" in day-valued features (no order yet, activity never seen): ten years, far beyond any window. */
export const NEVER_DAYS = 3650;

const WINDOWS = Object.keys(ACTIVITY_WINDOWS) as ActivityWindow[];

export const USER_FEATURE_NAMES: readonly string[] = [
  'known',
  ...USER_ACTIVITIES.flatMap((activity) => WINDOWS.map((window) => `count.${activity}.${window}`)),
  ...USER_ACTIVITIES.map((activity) => `decayed.${activity}`),
  ...USER_ACTIVITIES.map((activity) => `lastSeen.${activity}.days`),
  'rfm.hasOrdered',
  'rfm.recencyDays',
  'rfm.tenureDays',
  'rfm.frequency',
  'rfm.monetary',
  'session.active',
  'session.events',
  'session.durationMin',
  'session.items',
  'recent.count',
  'affinity.categories',
  'affinity.top',
];

export const ITEM_FEATURE_NAMES: readonly string[] = [
  'known',
  ...ITEM_ACTIVITIES.map((activity) => `popularity.${activity}`),
  ...ITEM_ACTIVITIES.map((activity) => `total.${activity}`),
  'conversion.known',
  'conversion.viewToCart',
  'conversion.viewToPurchase',
  'price.known',
  'price',
  'catalog.known',
  'active',
  'category.depth',
  'availability.stores',
  'availability.units',
  'coViewed.count',
  'coViewed.top',
  'coPurchased.count',
  'coPurchased.top',
];

/**
 * Features of a (user, item) pair. They sit with the user's features in an
 * example (`userFeatures`), hence the `x.` prefix that keeps them apart.
 */
export const USER_ITEM_FEATURE_NAMES: readonly string[] = [
  'x.affinity.itemCategory',
  'x.affinity.itemRootCategory',
  'x.recent.seenItem',
  'x.recent.itemInteractions',
  'x.session.seenItem',
];

/** NaN and ±Infinity become 0: JSON cannot carry them and the contracts reject them. */
const finite = (value: number) => (Number.isFinite(value) ? value : 0);
const flag = (value: boolean) => (value ? 1 : 0);

/** A day count within [0, `NEVER_DAYS`]; `NEVER_DAYS` when it is not a number. */
const clampDays = (days: number) => (Number.isFinite(days) ? Math.min(NEVER_DAYS, Math.max(0, days)) : NEVER_DAYS);

/** Days from `time` to `asOf` (0 for a time after `asOf`); `NEVER_DAYS` when there is no time. */
const daysBefore = (asOf: string, time: string | null) => (time === null ? NEVER_DAYS : clampDays((Date.parse(asOf) - Date.parse(time)) / DAY_MS));

function inOrder(names: readonly string[], values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, finite(values[name] ?? 0)]));
}

/**
 * A user's features, keyed and ordered as `USER_FEATURE_NAMES`. `rfm.monetary`
 * is the largest of the per-currency order totals (a tenant trades in one
 * currency in practice; adding amounts of different currencies would mix
 * units). Day-valued features use `NEVER_DAYS` for "never", next to a 0/1
 * flag (`rfm.hasOrdered`) where the distinction matters.
 */
export function userFeatureVector(view: UserFeatureView): Record<string, number> {
  const values: Record<string, number> = { known: flag(view.known) };
  for (const activity of USER_ACTIVITIES) {
    for (const window of WINDOWS) values[`count.${activity}.${window}`] = view.counts[activity][window];
    values[`decayed.${activity}`] = view.decayedCounts[activity];
    values[`lastSeen.${activity}.days`] = daysBefore(view.asOf, view.lastSeen[activity]);
  }
  const { rfm, session } = view;
  values['rfm.hasOrdered'] = flag(rfm.lastOrderAt !== null);
  values['rfm.recencyDays'] = rfm.recencyDays === null ? NEVER_DAYS : clampDays(rfm.recencyDays);
  values['rfm.tenureDays'] = rfm.firstOrderAt === null ? 0 : daysBefore(view.asOf, rfm.firstOrderAt);
  values['rfm.frequency'] = rfm.frequency;
  values['rfm.monetary'] = Math.max(0, ...Object.values(rfm.monetary).map((amount) => finite(Number(amount))));
  values['session.active'] = flag(session !== null);
  values['session.events'] = session?.events ?? 0;
  values['session.durationMin'] = (session?.durationMs ?? 0) / 60_000;
  values['session.items'] = session?.items.length ?? 0;
  values['recent.count'] = view.recentItems.length;
  values['affinity.categories'] = view.categoryAffinity.length;
  values['affinity.top'] = Math.max(0, ...view.categoryAffinity.map(({ weight }) => weight));
  return inOrder(USER_FEATURE_NAMES, values);
}

/**
 * An item's features, keyed and ordered as `ITEM_FEATURE_NAMES`. Unknown
 * values (conversion before any view, price and activity before any catalogue
 * upsert) are 0 next to a 0/1 `*.known` flag. `availability.stores` counts
 * stores with units on hand.
 */
export function itemFeatureVector(view: ItemFeatureView): Record<string, number> {
  const values: Record<string, number> = { known: flag(view.known) };
  for (const activity of ITEM_ACTIVITIES) {
    values[`popularity.${activity}`] = view.popularity[activity];
    values[`total.${activity}`] = view.totals[activity];
  }
  const { conversion } = view;
  values['conversion.known'] = flag(conversion.viewToCart !== null);
  values['conversion.viewToCart'] = conversion.viewToCart ?? 0;
  values['conversion.viewToPurchase'] = conversion.viewToPurchase ?? 0;
  const price = view.price === null ? NaN : Number(view.price.amount);
  values['price.known'] = flag(Number.isFinite(price));
  values.price = price;
  values['catalog.known'] = flag(view.catalogUpdatedAt !== null);
  values.active = flag(view.active === true);
  values['category.depth'] = view.categoryPath?.length ?? 0;
  const units = Object.values(view.availability);
  values['availability.stores'] = units.filter((onHand) => onHand > 0).length;
  values['availability.units'] = units.reduce((sum, onHand) => sum + Math.max(0, finite(onHand)), 0);
  values['coViewed.count'] = view.coViewed.length;
  values['coViewed.top'] = Math.max(0, ...view.coViewed.map(({ weight }) => weight));
  values['coPurchased.count'] = view.coPurchased.length;
  values['coPurchased.top'] = Math.max(0, ...view.coPurchased.map(({ weight }) => weight));
  return inOrder(ITEM_FEATURE_NAMES, values);
}

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((part, i) => part === b[i]);

/**
 * Features of the pair (user, item), keyed and ordered as
 * `USER_ITEM_FEATURE_NAMES`: the user's affinity to the item's category and
 * to its top-level category (0 when not among the user's served top
 * categories), and whether, how often, the user touched the SKU recently or
 * in the open session.
 */
export function userItemFeatures(user: UserFeatureView, item: ItemFeatureView, sku: string = item.sku): Record<string, number> {
  const path = item.categoryPath ?? [];
  const affinityOf = (category: readonly string[]) =>
    category.length === 0 ? 0 : (user.categoryAffinity.find((entry) => samePath(entry.path, category))?.weight ?? 0);
  const interactions = user.recentItems.filter((recent) => recent.sku === sku).length;
  return inOrder(USER_ITEM_FEATURE_NAMES, {
    'x.affinity.itemCategory': affinityOf(path),
    'x.affinity.itemRootCategory': affinityOf(path.slice(0, 1)),
    'x.recent.seenItem': flag(interactions > 0),
    'x.recent.itemInteractions': interactions,
    'x.session.seenItem': flag(user.session?.items.includes(sku) ?? false),
  });
}

/**
 * What the store holds for a user it has never seen (or has erased): every
 * feature zero or empty, as `readUserViews` returns it.
 */
export function emptyUserView(tenant: string, userId: string, asOf: string): UserFeatureView {
  const perActivity = <V>(value: () => V) => Object.fromEntries(USER_ACTIVITIES.map((activity) => [activity, value()]));
  return {
    userId,
    tenant,
    asOf,
    known: false,
    counts: perActivity(() => Object.fromEntries(WINDOWS.map((window) => [window, 0]))) as UserFeatureView['counts'],
    decayedCounts: perActivity(() => 0) as UserFeatureView['decayedCounts'],
    lastSeen: perActivity(() => null) as UserFeatureView['lastSeen'],
    rfm: { recencyDays: null, frequency: 0, monetary: {}, firstOrderAt: null, lastOrderAt: null },
    categoryAffinity: [],
    recentItems: [],
    session: null,
    segmentId: null,
  };
}

/** What the store holds for an item it has never seen, as `readItemViews` returns it. */
export function emptyItemView(tenant: string, sku: string, asOf: string): ItemFeatureView {
  const zeros = () => Object.fromEntries(ITEM_ACTIVITIES.map((activity) => [activity, 0])) as ItemFeatureView['totals'];
  return {
    sku,
    tenant,
    asOf,
    known: false,
    popularity: zeros(),
    totals: zeros(),
    conversion: { viewToCart: null, viewToPurchase: null },
    price: null,
    categoryPath: null,
    active: null,
    catalogUpdatedAt: null,
    availability: {},
    coViewed: [],
    coPurchased: [],
  };
}
