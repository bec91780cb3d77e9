"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.EVENT_TYPE_NAMES = exports.EVENT_TYPES = exports.EventType = void 0;
exports.splitEventType = splitEventType;
exports.isEventTypeName = isEventTypeName;
exports.isKnownEventFamily = isKnownEventFamily;
exports.supportedVersionsOf = supportedVersionsOf;
exports.isEventOfType = isEventOfType;
exports.partitionKeyOf = partitionKeyOf;
const envelope_1 = require("./envelope");
const catalog_1 = require("./events/catalog");
const inventory_1 = require("./events/inventory");
const order_1 = require("./events/order");
const privacy_1 = require("./events/privacy");
const recommendation_1 = require("./events/recommendation");
const shopper_1 = require("./events/shopper");
/** Every event type string, by domain name. The `.vN` suffix is the schema version. */
exports.EventType = {
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
    UserErasureRequested: 'com.storeloop.user.erasure-requested.v1',
};
const VERSION_SUFFIX = /\.v([1-9]\d*)$/;
/** `com.storeloop.product.viewed.v1` → family `com.storeloop.product.viewed`, version 1; no suffix → version null. */
function splitEventType(type) {
    const match = VERSION_SUFFIX.exec(type);
    return match ? { family: type.slice(0, match.index), version: Number(match[1]) } : { family: type, version: null };
}
function defineEventType(definition) {
    const { family, version } = splitEventType(definition.type);
    if (version === null)
        throw new Error(`event type ${definition.type} lacks a .vN suffix`);
    return { ...definition, family, version, schema: (0, envelope_1.cloudEventSchema)(definition.type, definition.data) };
}
const byUser = (event) => event.data.userId;
// Stock events of one SKU in one store stay in order on one partition.
const bySkuAndStore = (event) => `${event.data.sku}:${event.data.store}`;
/**
 * The registry: one entry per event type, with its full schema (envelope +
 * data), its data schema, version and partition key.
 */
exports.EVENT_TYPES = {
    [exports.EventType.ProductViewed]: defineEventType({
        type: exports.EventType.ProductViewed,
        description: 'A shopper looked at a product detail page or tile.',
        data: shopper_1.productViewedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.CartItemAdded]: defineEventType({
        type: exports.EventType.CartItemAdded,
        description: 'A shopper put a quantity of a SKU in the cart.',
        data: shopper_1.cartItemAddedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.CartItemRemoved]: defineEventType({
        type: exports.EventType.CartItemRemoved,
        description: 'A shopper took a quantity of a SKU out of the cart.',
        data: shopper_1.cartItemRemovedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.OrderPlaced]: defineEventType({
        type: exports.EventType.OrderPlaced,
        description: 'A shopper placed an order (web, app or a till receipt).',
        data: order_1.orderPlacedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.SearchPerformed]: defineEventType({
        type: exports.EventType.SearchPerformed,
        description: 'A shopper ran a search; clickedSkus lists results opened from it.',
        data: shopper_1.searchPerformedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.ProductFavorited]: defineEventType({
        type: exports.EventType.ProductFavorited,
        description: 'A shopper added a product to favourites or a wish list.',
        data: shopper_1.productFavoritedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.CatalogItemUpserted]: defineEventType({
        type: exports.EventType.CatalogItemUpserted,
        description: 'The catalogue created or changed a product (title, categories, price, attributes).',
        data: catalog_1.catalogItemUpsertedData,
        keyDescription: 'data.sku',
        partitionKey: (event) => event.data.sku,
    }),
    [exports.EventType.InventorySnapshotTaken]: defineEventType({
        type: exports.EventType.InventorySnapshotTaken,
        description: 'The WMS or a store counted stock of a SKU: on hand and on order.',
        data: inventory_1.inventorySnapshotTakenData,
        keyDescription: 'data.sku + ":" + data.store',
        partitionKey: bySkuAndStore,
    }),
    [exports.EventType.GoodsReceived]: defineEventType({
        type: exports.EventType.GoodsReceived,
        description: 'A store received goods against a purchase order.',
        data: inventory_1.goodsReceivedData,
        keyDescription: 'data.sku + ":" + data.store',
        partitionKey: bySkuAndStore,
    }),
    [exports.EventType.RecommendationServed]: defineEventType({
        type: exports.EventType.RecommendationServed,
        description: 'The inference service answered with a ranked list from one model version (an impression).',
        data: recommendation_1.recommendationServedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.RecommendationClicked]: defineEventType({
        type: exports.EventType.RecommendationClicked,
        description: 'A shopper opened an item from a served recommendation list.',
        data: recommendation_1.recommendationClickedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
    [exports.EventType.UserErasureRequested]: defineEventType({
        type: exports.EventType.UserErasureRequested,
        description: "A user's personal data must be erased from features, training data and models.",
        data: privacy_1.userErasureRequestedData,
        keyDescription: 'data.userId',
        partitionKey: byUser,
    }),
};
exports.EVENT_TYPE_NAMES = Object.keys(exports.EVENT_TYPES);
const EVENT_FAMILIES = new Set(exports.EVENT_TYPE_NAMES.map((type) => exports.EVENT_TYPES[type].family));
function isEventTypeName(type) {
    return Object.hasOwn(exports.EVENT_TYPES, type);
}
/** True when the family (type without `.vN`) is known, whatever the version. */
function isKnownEventFamily(family) {
    return EVENT_FAMILIES.has(family);
}
/** Supported versions of a family, e.g. [1] for `com.storeloop.product.viewed`. */
function supportedVersionsOf(family) {
    return exports.EVENT_TYPE_NAMES.filter((type) => exports.EVENT_TYPES[type].family === family).map((type) => exports.EVENT_TYPES[type].version);
}
function isEventOfType(event, type) {
    return event.type === type;
}
/** The Kafka key of an event: userId, `sku:store` for stock events, sku for catalogue changes. */
function partitionKeyOf(event) {
    // The registry pairs each type with its own key function; TypeScript cannot
    // correlate the two through the union, so widen the parameter once here.
    const partitionKey = exports.EVENT_TYPES[event.type].partitionKey;
    return partitionKey(event);
}
