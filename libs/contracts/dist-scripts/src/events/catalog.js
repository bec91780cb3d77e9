"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.catalogItemUpsertedData = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
/** Free-form product attributes (brand, colour, size...): scalar values only, so they map to features. */
const attributeValue = zod_1.z.union([zod_1.z.string(), zod_1.z.number(), zod_1.z.boolean()]);
exports.catalogItemUpsertedData = zod_1.z.object({
    sku: (0, primitives_1.identifier)(),
    title: zod_1.z.string().trim().min(1, 'must not be empty').max(500),
    categoryPath: zod_1.z.array(zod_1.z.string().trim().min(1, 'must not be empty')).min(1, 'needs at least the top category'),
    price: (0, primitives_1.money)(),
    attributes: zod_1.z.record(zod_1.z.string().min(1), attributeValue).default({}),
    active: zod_1.z.boolean().default(true),
});
