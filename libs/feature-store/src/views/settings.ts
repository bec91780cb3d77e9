export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** What a user did, counted per user. `impression`: a recommendation list was served to them. */
export const USER_ACTIVITIES = ['view', 'cart', 'uncart', 'order', 'search', 'favorite', 'impression', 'click'] as const;
export type UserActivity = (typeof USER_ACTIVITIES)[number];

/** What happened to an item, counted per item. `order` counts order lines, `units` the quantity in them. */
export const ITEM_ACTIVITIES = ['view', 'cart', 'uncart', 'order', 'units', 'favorite', 'impression', 'click'] as const;
export type ItemActivity = (typeof ITEM_ACTIVITIES)[number];

/**
 * One-letter codes used in Redis field names: window buckets repeat the code
 * up to 114 times per activity, so a short code saves memory on every user.
 */
export const ACTIVITY_CODES: Record<UserActivity | ItemActivity, string> = {
  view: 'v',
  cart: 'c',
  uncart: 'x',
  order: 'o',
  units: 'u',
  search: 's',
  favorite: 'f',
  impression: 'i',
  click: 'k',
};

/** Credit an interaction gives to the categories of its item (a decayed weight); uncart and search give none. */
export const AFFINITY_WEIGHTS: Partial<Record<UserActivity, number>> = { view: 1, click: 1, cart: 3, favorite: 3, order: 5 };

/** A bucket granularity kept per activity: `count` buckets of `sizeMs`, labelled in field names. */
export interface BucketGranularity {
  label: string;
  sizeMs: number;
  count: number;
}

/** User activity buckets: 60 minutes, 24 hours, 30 days (the 7 d window reads the newest 7 day buckets). */
export const ACTIVITY_BUCKETS: readonly BucketGranularity[] = [
  { label: 'm', sizeMs: MINUTE_MS, count: 60 },
  { label: 'h', sizeMs: HOUR_MS, count: 24 },
  { label: 'd', sizeMs: DAY_MS, count: 30 },
];

/** A sliding window read from buckets of one granularity: the `buckets` newest ones, ending with the bucket of `asOf`. */
export interface WindowSpec {
  label: string;
  sizeMs: number;
  buckets: number;
}

export const ACTIVITY_WINDOWS = {
  '1h': { label: 'm', sizeMs: MINUTE_MS, buckets: 60 },
  '24h': { label: 'h', sizeMs: HOUR_MS, buckets: 24 },
  '7d': { label: 'd', sizeMs: DAY_MS, buckets: 7 },
  '30d': { label: 'd', sizeMs: DAY_MS, buckets: 30 },
} as const satisfies Record<string, WindowSpec>;
export type ActivityWindow = keyof typeof ACTIVITY_WINDOWS;

/** Daily units sold per SKU x store, kept for this many days. */
export const SALES_DAYS = 400;
export const SALES_BUCKETS: readonly BucketGranularity[] = [{ label: 'd', sizeMs: DAY_MS, count: SALES_DAYS }];

/** Bounds on what one entity keeps, so memory per entity is bounded whatever the traffic. */
export const LIMITS = {
  recentItems: 50,
  sessionItems: 50,
  /** Distinct items viewed in the session that a new view pairs with (co-view). */
  sessionViewsPaired: 20,
  /** Distinct SKUs of one order that are paired with each other (co-purchase). */
  orderLinesPaired: 20,
  /** Categories kept per user; the top ones are served. */
  affinityKept: 64,
  /** Neighbours kept per item and list; the top `neighboursServed` are served. */
  neighboursKept: 100,
  neighboursServed: 50,
  /** Stock movements newer than the last count kept per SKU x store. */
  stockMovementsKept: 500,
} as const;

/**
 * Time constants of the features. Applying and reading must use the same
 * values: decayed values are stored relative to them, so changing a half-life
 * needs a rebuild (replay) of the views.
 */
export interface FeatureSettings {
  /** A gap longer than this between two events of a user starts a new session. */
  sessionGapMs: number;
  /** Half-life of the user's decayed activity counters. */
  activityHalfLifeMs: number;
  /** Half-life of item popularity (and so of the conversion rates). */
  popularityHalfLifeMs: number;
  /** Half-life of category affinity weights. */
  affinityHalfLifeMs: number;
  /** Half-life of co-view and co-purchase weights. */
  neighbourHalfLifeMs: number;
  /** Smoothing factor of the EWMA daily demand mean and variance. */
  demandAlpha: number;
  /** User keys expire after this long without an event (wall clock); 0 keeps them forever. */
  userTtlMs: number;
  /** Categories served per user. */
  topCategories: number;
}

export const DEFAULT_FEATURE_SETTINGS: Readonly<FeatureSettings> = Object.freeze({
  sessionGapMs: 30 * MINUTE_MS,
  activityHalfLifeMs: 7 * DAY_MS,
  popularityHalfLifeMs: 7 * DAY_MS,
  affinityHalfLifeMs: 30 * DAY_MS,
  neighbourHalfLifeMs: 30 * DAY_MS,
  demandAlpha: 0.1,
  userTtlMs: 400 * DAY_MS,
  topCategories: 10,
});

export function featureSettings(overrides: Partial<FeatureSettings> = {}): FeatureSettings {
  const settings = { ...DEFAULT_FEATURE_SETTINGS, ...overrides };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`feature setting ${name} must be a non-negative number, got ${value}`);
    if (name.endsWith('HalfLifeMs') && value === 0) throw new RangeError(`feature setting ${name} must be positive`);
  }
  if (settings.demandAlpha <= 0 || settings.demandAlpha > 1) throw new RangeError(`demandAlpha must be in (0, 1], got ${settings.demandAlpha}`);
  if (settings.topCategories > LIMITS.affinityKept) {
    throw new RangeError(`topCategories must be at most ${LIMITS.affinityKept}, the number of categories kept per user`);
  }
  return settings;
}
