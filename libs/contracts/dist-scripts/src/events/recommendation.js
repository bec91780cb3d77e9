"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.recommendationClickedData = exports.recommendationServedData = exports.recommendedItem = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
const shopper_1 = require("./shopper");
exports.recommendedItem = zod_1.z.object({
    sku: (0, primitives_1.identifier)(),
    /** 1-based rank as shown, the convention of HR@K and NDCG@K. */
    position: (0, primitives_1.positiveInt)(),
    score: zod_1.z.number(),
});
exports.recommendationServedData = zod_1.z
    .object({
    ...shopper_1.shopperContext,
    recommendationId: (0, primitives_1.identifier)(),
    modelName: (0, primitives_1.identifier)().optional(),
    modelVersion: (0, primitives_1.identifier)(),
    /** Where the list was shown: home, pdp, cart, email... */
    surface: (0, primitives_1.identifier)(),
    /** The product the list was built around (similar items on a product page). */
    contextSku: (0, primitives_1.identifier)().optional(),
    // Empty is allowed: "served nothing" is an answer whose outcome still counts.
    items: zod_1.z.array(exports.recommendedItem),
})
    .superRefine((served, ctx) => {
    const seen = new Set();
    served.items.forEach((item, index) => {
        if (seen.has(item.position)) {
            ctx.addIssue({ code: 'custom', path: ['items', index, 'position'], message: `position ${item.position} appears twice` });
        }
        seen.add(item.position);
    });
});
exports.recommendationClickedData = zod_1.z.object({
    ...shopper_1.shopperContext,
    recommendationId: (0, primitives_1.identifier)(),
    sku: (0, primitives_1.identifier)(),
    position: (0, primitives_1.positiveInt)(),
});
