"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.goodsReceivedData = exports.inventorySnapshotTakenData = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
exports.inventorySnapshotTakenData = zod_1.z.object({
    sku: (0, primitives_1.identifier)(),
    store: (0, primitives_1.identifier)(),
    onHand: (0, primitives_1.nonNegativeInt)(),
    onOrder: (0, primitives_1.nonNegativeInt)(),
    // The count's own time; the envelope `time` is when the WMS published it.
    asOf: (0, primitives_1.utcTimestamp)(),
});
exports.goodsReceivedData = zod_1.z.object({
    sku: (0, primitives_1.identifier)(),
    store: (0, primitives_1.identifier)(),
    quantity: (0, primitives_1.positiveInt)(),
    purchaseOrderId: (0, primitives_1.identifier)(),
});
