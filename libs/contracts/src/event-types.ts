import { z } from 'zod';
import { cloudEventSchema } from './envelope';
import { catalogItemUpsertedData } from './events/catalog';
import { goodsReceivedData, inventorySnapshotTakenData } from './events/inventory';
import { orderPlacedData } from './events/order';
import { userErasureRequestedData } from './events/privacy';
import { recommendationClickedData, recommendationPurchasedData, recommendationServedData } from './events/recommendation';
import {
  cartItemAddedData,
  cartItemRemovedData,
  productFavoritedData,
  productViewedData,
  searchPerformedData,
} from './events/shopper';

/** Every event type string, by domain name. The `.vN` suffix is the schema version. */
export const EventType = {
  ProductViewed: 'com.storeloop.product.viewed.v1',
  CartItemAdded: 'com.storeloop.cart.item-added.v1',
  CartItemRemoved: 'com.storeloop.cart.item-removed.v1',
  OrderPlaced: 'com.storeloop.order.placed.v1',
  SearchPerformed: 'com.storeloop.search.performed.v1',
  ProductFavorited: 'com.storeloop.product.favorited.v1',
  CatalogItemUpserted: 'com.storeloop.catalog.item-upserted.v1',
  InventorySnapshotTaken: 'com.storeloop.inventory.snapshot-taken.v1',
  GoodsReceived: 'com.storeloop.inventory.goods-received.v1',
  RecommendationServed: 'com.storeloop.recommendation.served.v1',
  RecommendationClicked: 'com.storeloop.recommendation.clicked.v1',
  RecommendationPurchased: 'com.storeloop.recommendation.purchased.v1',
  UserErasureRequested: 'com.storeloop.user.erasure-requested.v1',
} as const;

const VERSION_SUFFIX = /\.v([1-9]\d*)$/;

/** `com.storeloop.product.viewed.v1` → family `com.storeloop.product.viewed`, version 1; no suffix → version null. */
export function splitEventType(type: string): { family: string; version: number | null } {
  const match = VERSION_SUFFIX.exec(type);
  return match ? { family: type.slice(0, match.index), version: Number(match[1]) } : { family: type, version: null };
}

function defineEventType<const T extends string, D extends z.ZodType>(definition: {
  type: T;
  description: string;
  data: D;
  /** What the Kafka key is made of, in words, for docs. */
  keyDescription: string;
  partitionKey: (event: { data: z.output<D> }) => string;
}) {
  const { family, version } = splitEventType(definition.type);
  if (version === null) throw new Error(`event type ${definition.type} lacks a .vN suffix`);
  return { ...definition, family, version, schema: cloudEventSchema(definition.type, definition.data) };
}

const byUser = (event: { data: { userId: string } }) => event.data.userId;
// Stock events of one SKU in one store stay in order on one partition.
const bySkuAndStore = (event: { data: { sku: string; store: string } }) => `${event.data.sku}:${event.data.store}`;

/**
 * The registry: one entry per event type, with its full schema (envelope +
 * data), its data schema, version and partition key.
 */
export const EVENT_TYPES = {
  [EventType.ProductViewed]: defineEventType({
    type: EventType.ProductViewed,
    description: 'A shopper looked at a product detail page or tile.',
    data: productViewedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.CartItemAdded]: defineEventType({
    type: EventType.CartItemAdded,
    description: 'A shopper put a quantity of a SKU in the cart.',
    data: cartItemAddedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.CartItemRemoved]: defineEventType({
    type: EventType.CartItemRemoved,
    description: 'A shopper took a quantity of a SKU out of the cart.',
    data: cartItemRemovedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.OrderPlaced]: defineEventType({
    type: EventType.OrderPlaced,
    description: 'A shopper placed an order (web, app or a till receipt).',
    data: orderPlacedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.SearchPerformed]: defineEventType({
    type: EventType.SearchPerformed,
    description: 'A shopper ran a search; clickedSkus lists results opened from it.',
    data: searchPerformedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.ProductFavorited]: defineEventType({
    type: EventType.ProductFavorited,
    description: 'A shopper added a product to favourites or a wish list.',
    data: productFavoritedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.CatalogItemUpserted]: defineEventType({
    type: EventType.CatalogItemUpserted,
    description: 'The catalogue created or changed a product (title, categories, price, attributes).',
    data: catalogItemUpsertedData,
    keyDescription: 'data.sku',
    partitionKey: (event) => event.data.sku,
  }),
  [EventType.InventorySnapshotTaken]: defineEventType({
    type: EventType.InventorySnapshotTaken,
    description: 'The WMS or a store counted stock of a SKU: on hand and on order.',
    data: inventorySnapshotTakenData,
    keyDescription: 'data.sku + ":" + data.store',
    partitionKey: bySkuAndStore,
  }),
  [EventType.GoodsReceived]: defineEventType({
    type: EventType.GoodsReceived,
    description: 'A store received goods against a purchase order.',
    data: goodsReceivedData,
    keyDescription: 'data.sku + ":" + data.store',
    partitionKey: bySkuAndStore,
  }),
  [EventType.RecommendationServed]: defineEventType({
    type: EventType.RecommendationServed,
    description: 'The inference service answered with a ranked list from one model version (an impression).',
    data: recommendationServedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.RecommendationClicked]: defineEventType({
    type: EventType.RecommendationClicked,
    description: 'A shopper opened an item from a served recommendation list.',
    data: recommendationClickedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.RecommendationPurchased]: defineEventType({
    type: EventType.RecommendationPurchased,
    description: 'A shopper bought an item from a served recommendation list (online conversion per model version).',
    data: recommendationPurchasedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
  [EventType.UserErasureRequested]: defineEventType({
    type: EventType.UserErasureRequested,
    description: "A user's personal data must be erased from features, training data and models.",
    data: userErasureRequestedData,
    keyDescription: 'data.userId',
    partitionKey: byUser,
  }),
};

type Registry = typeof EVENT_TYPES;
export type EventTypeName = keyof Registry;

/** A parsed (normalised) event of one type. */
export type EventOfType<T extends EventTypeName> = z.output<Registry[T]['schema']>;
/** What a producer may send for one type (before normalisation: offsets, numeric money, omitted defaults). */
export type EventInputOfType<T extends EventTypeName> = z.input<Registry[T]['schema']>;
export type EventDataOfType<T extends EventTypeName> = z.output<Registry[T]['data']>;
export type EventDataInputOfType<T extends EventTypeName> = z.input<Registry[T]['data']>;

/** Any parsed Storeloop event; narrow on `type`. */
export type StoreloopEvent = { [T in EventTypeName]: EventOfType<T> }[EventTypeName];
export type StoreloopEventInput = { [T in EventTypeName]: EventInputOfType<T> }[EventTypeName];

export const EVENT_TYPE_NAMES: readonly EventTypeName[] = Object.keys(EVENT_TYPES) as EventTypeName[];

const EVENT_FAMILIES = new Set(EVENT_TYPE_NAMES.map((type) => EVENT_TYPES[type].family));

export function isEventTypeName(type: string): type is EventTypeName {
  return Object.hasOwn(EVENT_TYPES, type);
}

/** True when the family (type without `.vN`) is known, whatever the version. */
export function isKnownEventFamily(family: string): boolean {
  return EVENT_FAMILIES.has(family);
}

/** Supported versions of a family, e.g. [1] for `com.storeloop.product.viewed`. */
export function supportedVersionsOf(family: string): number[] {
  return EVENT_TYPE_NAMES.filter((type) => EVENT_TYPES[type].family === family).map((type) => EVENT_TYPES[type].version);
}

export function isEventOfType<T extends EventTypeName>(event: StoreloopEvent, type: T): event is EventOfType<T> {
  return event.type === type;
}

/** The Kafka key of an event: userId, `sku:store` for stock events, sku for catalogue changes. */
export function partitionKeyOf(event: StoreloopEvent): string {
  // The registry pairs each type with its own key function; TypeScript cannot
  // correlate the two through the union, so widen the parameter once here.
  const partitionKey = EVENT_TYPES[event.type].partitionKey as (event: StoreloopEvent) => string;
  return partitionKey(event);
}
