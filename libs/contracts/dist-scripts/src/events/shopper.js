"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.searchPerformedData = exports.productFavoritedData = exports.cartItemRemovedData = exports.cartItemAddedData = exports.productViewedData = exports.shopperContext = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
/**
 * Who acted, where. Every shopper-behaviour event carries it; `sessionId`,
 * `store` and `channel` are optional so producers that predate them stay valid.
 */
exports.shopperContext = {
    userId: (0, primitives_1.identifier)(),
    sessionId: (0, primitives_1.identifier)().optional(),
    store: (0, primitives_1.identifier)().optional(),
    channel: (0, primitives_1.salesChannel)(),
};
exports.productViewedData = zod_1.z.object({
    ...exports.shopperContext,
    sku: (0, primitives_1.identifier)(),
});
exports.cartItemAddedData = zod_1.z.object({
    ...exports.shopperContext,
    sku: (0, primitives_1.identifier)(),
    quantity: (0, primitives_1.positiveInt)(),
    unitPrice: (0, primitives_1.money)().optional(),
});
exports.cartItemRemovedData = zod_1.z.object({
    ...exports.shopperContext,
    sku: (0, primitives_1.identifier)(),
    quantity: (0, primitives_1.positiveInt)(),
});
exports.productFavoritedData = zod_1.z.object({
    ...exports.shopperContext,
    sku: (0, primitives_1.identifier)(),
});
exports.searchPerformedData = zod_1.z.object({
    ...exports.shopperContext,
    query: zod_1.z.string().trim().min(1, 'must not be empty').max(512),
    resultsCount: zod_1.z.number().int().nonnegative(),
    clickedSkus: zod_1.z.array((0, primitives_1.identifier)()).default([]),
});
